/**
 * The Galaxy Zoo 2 decision tree as data: 11 questions, 37 answers, ids exactly as the Kaggle
 * "Galaxy Zoo - The Galaxy Challenge" columns (Class1.1 ... Class11.6). The site walks it,
 * aggregation and the trainer read it, export writes its column names: nothing else in the
 * project spells out a question, an answer or a branch.
 */

export type QuestionId = "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "10" | "11";

export interface Answer {
  /** Kaggle id without the "Class" prefix, e.g. "1.2". */
  readonly id: string;
  readonly label: string;
  /** Name of the pictogram the site draws on the answer's button. */
  readonly icon: string;
  /** The question this answer leads to; null ends the classification. */
  readonly next: QuestionId | null;
  /** What a volunteer should see to give this answer: the field guide and the tutorial show it. */
  readonly help: string;
}

export interface Question {
  readonly id: QuestionId;
  readonly text: string;
  readonly answers: readonly Answer[];
  /**
   * The published Kaggle fractions normalise this question to sum to 1 instead of to the
   * fraction of volunteers who reached it (true of Q6 only: a quirk of the data, not of the
   * tree). Its descendants are scaled with it.
   */
  readonly kaggleNormalised?: boolean;
}

/** The field guide's description of each answer. */
const ANSWER_HELP: Readonly<Record<string, string>> = {
  "1.1": "A smooth glow, brightest in the middle and fading outwards, with no disk, arms, bar or other structure.",
  "1.2": "Any structure: a disk (even seen edge-on), spiral arms, a bar, a ring, knots or clumps.",
  "1.3": "Not a galaxy: a star (a sharp point, often with spikes), a satellite trail, or a glitch in the image.",
  "2.1": "A thin line or narrow needle of light, often with a bulge in the middle or a dark dust lane along it.",
  "2.2": "The disk is seen at an angle or face-on: wider than a thin line.",
  "3.1": "A straight, elongated feature of light through the centre, often with arms starting at its ends.",
  "3.2": "No straight feature crosses the centre.",
  "4.1": "Arms winding out from the centre, even faint or partial ones.",
  "4.2": "A disk without any arm pattern.",
  "5.1": "No brighter centre at all: the disk is evenly bright.",
  "5.2": "A small brighter centre you have to look for.",
  "5.3": "A clear, bright central bulge, smaller than the disk around it.",
  "5.4": "The bulge outshines most of the galaxy.",
  "6.1": "Something unusual: a ring, an arc, a dust lane, a disturbed or irregular shape, or a merger.",
  "6.2": "Nothing unusual.",
  "7.1": "A circle: as wide as it is tall.",
  "7.2": "An oval: clearly longer one way than the other, but not thin.",
  "7.3": "A thin elongated shape, like a cigar, several times longer than it is wide.",
  "8.1": "A ring of light around the centre, complete or nearly so.",
  "8.2": "An arc or a smear of light bent around the galaxy (gravitational lensing), or a lens-shaped glow.",
  "8.3": "A galaxy pulled out of shape, with tails or a twisted look, without a visible partner.",
  "8.4": "No regular shape at all: patchy and clumpy.",
  "8.5": "Something odd that none of the other answers describes.",
  "8.6": "Two or more galaxies colliding or touching, often with tails of light between them.",
  "8.7": "A dark band across the galaxy, usually along an edge-on disk.",
  "9.1": "A rounded bulge at the centre of the edge-on disk.",
  "9.2": "A square or peanut-shaped bulge at the centre.",
  "9.3": "No bulge: the edge-on disk is an even line.",
  "10.1": "Arms wrapped closely around the centre.",
  "10.2": "Arms between tight and loose.",
  "10.3": "Arms opening out widely from the centre.",
  "11.1": "A single arm.",
  "11.2": "Two arms, often starting at opposite sides.",
  "11.3": "Three arms.",
  "11.4": "Four arms.",
  "11.5": "More than four arms.",
  "11.6": "The arms are too faint or tangled to count.",
};

const a = (id: string, label: string, icon: string, next: QuestionId | null): Answer => ({
  id,
  label,
  icon,
  next,
  help: ANSWER_HELP[id]!,
});

export const QUESTIONS: readonly Question[] = [
  {
    id: "1",
    text: "Is the galaxy simply smooth and rounded, with no sign of a disk?",
    answers: [
      a("1.1", "Smooth", "smooth", "7"),
      a("1.2", "Features or disk", "features", "2"),
      a("1.3", "Star or artifact", "star", null),
    ],
  },
  {
    id: "2",
    text: "Could this be a disk viewed edge-on?",
    answers: [a("2.1", "Yes", "edge-on", "9"), a("2.2", "No", "face-on", "3")],
  },
  {
    id: "3",
    text: "Is there a sign of a bar feature through the centre of the galaxy?",
    answers: [a("3.1", "Bar", "bar", "4"), a("3.2", "No bar", "no-bar", "4")],
  },
  {
    id: "4",
    text: "Is there any sign of a spiral arm pattern?",
    answers: [a("4.1", "Spiral", "spiral", "10"), a("4.2", "No spiral", "no-spiral", "5")],
  },
  {
    id: "5",
    text: "How prominent is the central bulge, compared with the rest of the galaxy?",
    answers: [
      a("5.1", "No bulge", "bulge-none", "6"),
      a("5.2", "Just noticeable", "bulge-noticeable", "6"),
      a("5.3", "Obvious", "bulge-obvious", "6"),
      a("5.4", "Dominant", "bulge-dominant", "6"),
    ],
  },
  {
    id: "6",
    text: "Is there anything odd?",
    answers: [a("6.1", "Yes", "odd", "8"), a("6.2", "No", "not-odd", null)],
    kaggleNormalised: true,
  },
  {
    id: "7",
    text: "How rounded is it?",
    answers: [
      a("7.1", "Completely round", "round", "6"),
      a("7.2", "In between", "in-between", "6"),
      a("7.3", "Cigar-shaped", "cigar", "6"),
    ],
  },
  {
    id: "8",
    text: "Is the odd feature a ring, or is the galaxy disturbed or irregular?",
    answers: [
      a("8.1", "Ring", "ring", null),
      a("8.2", "Lens or arc", "lens", null),
      a("8.3", "Disturbed", "disturbed", null),
      a("8.4", "Irregular", "irregular", null),
      a("8.5", "Other", "other", null),
      a("8.6", "Merger", "merger", null),
      a("8.7", "Dust lane", "dust-lane", null),
    ],
  },
  {
    id: "9",
    text: "Does the galaxy have a bulge at its centre? If so, what shape?",
    answers: [
      a("9.1", "Rounded", "bulge-round", "6"),
      a("9.2", "Boxy", "bulge-boxy", "6"),
      a("9.3", "No bulge", "bulge-none", "6"),
    ],
  },
  {
    id: "10",
    text: "How tightly wound do the spiral arms appear?",
    answers: [
      a("10.1", "Tight", "arms-tight", "11"),
      a("10.2", "Medium", "arms-medium", "11"),
      a("10.3", "Loose", "arms-loose", "11"),
    ],
  },
  {
    id: "11",
    text: "How many spiral arms are there?",
    answers: [
      a("11.1", "1", "arms-1", "5"),
      a("11.2", "2", "arms-2", "5"),
      a("11.3", "3", "arms-3", "5"),
      a("11.4", "4", "arms-4", "5"),
      a("11.5", "More than four", "arms-many", "5"),
      a("11.6", "Can't tell", "arms-unknown", "5"),
    ],
  },
];

export const ROOT_QUESTION: QuestionId = "1";

const questionById = new Map(QUESTIONS.map((q) => [q.id, q]));
const answerById = new Map(QUESTIONS.flatMap((q) => q.answers.map((ans) => [ans.id, ans] as const)));

/** The 37 answer ids in Kaggle column order (1.1, 1.2, 1.3, 2.1, ... 11.6). */
export const ANSWER_IDS: readonly string[] = QUESTIONS.flatMap((q) => q.answers.map((ans) => ans.id));

/** Kaggle CSV column name of an answer: "Class1.1". */
export const kaggleColumn = (answerId: string): string => `Class${answerId}`;

export function getQuestion(id: QuestionId): Question {
  const q = questionById.get(id);
  if (!q) throw new Error(`unknown question "${id}"`);
  return q;
}

export function isAnswerId(id: string): boolean {
  return answerById.has(id);
}

export function getAnswer(id: string): Answer {
  const ans = answerById.get(id);
  if (!ans) throw new Error(`unknown answer "${id}" (expected one of ${ANSWER_IDS.join(", ")})`);
  return ans;
}

/** The question an answer belongs to ("7.3" -> "7"). */
export function questionOf(answerId: string): QuestionId {
  return getAnswer(answerId).id.split(".")[0] as QuestionId;
}

export type WalkState =
  | { readonly status: "in-progress"; readonly question: Question }
  | { readonly status: "complete" }
  | { readonly status: "invalid"; readonly error: string; readonly index: number };

/**
 * Follows a sequence of answers from Q1. Reports the question now due, completion, or the
 * first answer that does not fit the tree (with its position).
 */
export function walk(answers: readonly string[]): WalkState {
  let current: QuestionId | null = ROOT_QUESTION;
  for (let i = 0; i < answers.length; i++) {
    const id = answers[i]!;
    if (current === null) {
      return { status: "invalid", index: i, error: `answer ${i + 1} ("${id}") comes after the classification ended` };
    }
    const q = getQuestion(current);
    const ans = q.answers.find((x) => x.id === id);
    if (!ans) {
      const expected = q.answers.map((x) => x.id).join(", ");
      return {
        status: "invalid",
        index: i,
        error: `answer ${i + 1} ("${id}") does not answer question ${q.id}; expected one of ${expected}`,
      };
    }
    current = ans.next;
  }
  return current === null ? { status: "complete" } : { status: "in-progress", question: getQuestion(current) };
}

/** Accepts only a complete path from Q1 to an end of the tree. */
export function validateWalk(answers: readonly string[]): { ok: true } | { ok: false; error: string } {
  const state = walk(answers);
  if (state.status === "complete") return { ok: true };
  if (state.status === "invalid") return { ok: false, error: state.error };
  return { ok: false, error: `the classification stops before question ${state.question.id} is answered` };
}

/**
 * The questions in an order where each comes after every question leading to it (the tree has
 * no cycles): the one walk of the whole tree, for computing anything that flows down it.
 */
export const TOPOLOGICAL_ORDER: readonly QuestionId[] = (() => {
  const indegree = new Map<QuestionId, number>(QUESTIONS.map((q) => [q.id, 0]));
  for (const q of QUESTIONS) for (const a of q.answers) if (a.next) indegree.set(a.next, indegree.get(a.next)! + 1);
  const order: QuestionId[] = [];
  const ready: QuestionId[] = [ROOT_QUESTION];
  while (ready.length) {
    const id = ready.shift()!;
    order.push(id);
    for (const a of getQuestion(id).answers) {
      if (!a.next) continue;
      const left = indegree.get(a.next)! - 1;
      indegree.set(a.next, left);
      if (left === 0) ready.push(a.next);
    }
  }
  return order;
})();

/** Questions reachable from `id` (its descendants, without `id`), in TOPOLOGICAL_ORDER. */
export function descendants(id: QuestionId): QuestionId[] {
  const reached = new Set<QuestionId>([id]);
  for (const q of TOPOLOGICAL_ORDER) {
    if (reached.has(q)) for (const a of getQuestion(q).answers) if (a.next) reached.add(a.next);
  }
  reached.delete(id);
  return TOPOLOGICAL_ORDER.filter((q) => reached.has(q));
}

export interface Remaining {
  /** Questions left on the shortest way from a question to an end of the tree (it included). */
  min: number;
  /** ... and on the longest way. */
  max: number;
}

/** For every question, how many questions are left from it on, read backwards along TOPOLOGICAL_ORDER. */
const REMAINING: ReadonlyMap<QuestionId, Remaining> = (() => {
  const out = new Map<QuestionId, Remaining>();
  for (const id of [...TOPOLOGICAL_ORDER].reverse()) {
    const after = getQuestion(id).answers.map((a) => (a.next ? out.get(a.next)! : { min: 0, max: 0 }));
    out.set(id, { min: 1 + Math.min(...after.map((r) => r.min)), max: 1 + Math.max(...after.map((r) => r.max)) });
  }
  return out;
})();

export function remainingQuestions(id: QuestionId): Remaining {
  return REMAINING.get(id)!;
}
