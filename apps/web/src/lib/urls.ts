export const galaxyImageUrl = (id: number) => `/api/galaxies/${id}/image`;
