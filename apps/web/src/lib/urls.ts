export const galaxyImageUrl = (id: number) => `/api/galaxies/${id}/image`;

/** The directory of a model version's files, served by /api/models/[version]/[...file]. */
export const modelBaseUrl = (version: string) => `/api/models/${encodeURIComponent(version)}/`;
