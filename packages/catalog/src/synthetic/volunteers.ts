/**
 * Simulated volunteers: they walk the decision tree for a galaxy whose truth is known, answering
 * each question as an ideal volunteer would with probability `skill` and at random otherwise,
 * through their own slightly biased eye. Every walk follows the tree's branches, so it always
 * passes validateWalk.
 */
import { ROOT_QUESTION, getQuestion, type QuestionId } from "@hiwl/model";
import { createRng, gaussian, type Rng } from "./random.ts";
import { truthAnswerProbabilities, type GalaxyTruth, type Perception } from "./truth.ts";

export interface SimulatedVolunteer {
  readonly seed: string;
  /** Chance, 0 ... 1, that an answer follows the galaxy rather than a random click. */
  readonly skill: number;
  readonly perception: Perception;
}

/**
 * A volunteer with the given skill, or one drawn from the crowd's spread (most volunteers are
 * careful: 0.65 ... 1, mean ~0.88). The seed also fixes their perception biases.
 */
export function createSimulatedVolunteer(seed: string | number, skill?: number): SimulatedVolunteer {
  const rng = createRng(`volunteer:${seed}`);
  const drawnSkill = 1 - 0.35 * rng() ** 2;
  return {
    seed: String(seed),
    skill: skill ?? drawnSkill,
    perception: {
      axisRatioBias: gaussian(rng, 0, 0.04),
      detailSensitivity: Math.exp(gaussian(rng, 0, 0.15)),
    },
  };
}

/** One classification: the ordered answer ids of a complete walk from Q1 to an end of the tree. */
export function answerWalk(volunteer: SimulatedVolunteer, truth: GalaxyTruth, rng: Rng): string[] {
  const probabilities = truthAnswerProbabilities(truth, volunteer.perception);
  const answers: string[] = [];
  let current: QuestionId | null = ROOT_QUESTION;
  while (current !== null) {
    const question = getQuestion(current);
    const ideal = probabilities[current];
    const noise = (1 - volunteer.skill) / question.answers.length;
    let x = rng();
    let chosen = question.answers[question.answers.length - 1]!;
    for (const answer of question.answers) {
      x -= volunteer.skill * ideal[answer.id]! + noise;
      if (x < 0) {
        chosen = answer;
        break;
      }
    }
    answers.push(chosen.id);
    current = chosen.next;
  }
  return answers;
}
