/**
 * What a set of retirement rules costs in votes and keeps in label quality, before any model
 * exists: simulated volunteers classify synthetic galaxies one at a time until the project's
 * own rules (`retirementReason`, the code the site and the worker run) retire them. The model
 * rules need predictions, so only the count and consensus rules act here.
 */
import { synthetic } from "@hiwl/catalog";
import {
  argmaxClass,
  classDistribution,
  countAnswers,
  createRng,
  cumulativeFractions,
  retirementReason,
  type RetirementRules,
} from "@hiwl/model";

export interface RetirementSimOptions {
  galaxies: number;
  crowd: number;
  seed: string;
}

export interface RetirementOutcome {
  /** Classifications per galaxy until retirement, averaged over every galaxy. */
  meanVotes: number;
  /** Of the galaxies whose truth has a HIWL class: how often the crowd's leading class is it. */
  labelAccuracy: number;
  /** Galaxies retired before the classification count. */
  early: number;
}

/** Every rule set sees the same galaxies, volunteers and random stream, so rows compare directly. */
export function simulateRetirement(rules: RetirementRules, options: RetirementSimOptions): RetirementOutcome {
  const crowd = Array.from({ length: options.crowd }, (_, i) => synthetic.createSimulatedVolunteer(`${options.seed}-${i}`));
  const rng = createRng(`retirement:${options.seed}`);
  let votes = 0;
  let early = 0;
  let labelled = 0;
  let correct = 0;
  for (let g = 0; g < options.galaxies; g++) {
    const truth = synthetic.sampleTruth(createRng(`truth:${options.seed}-${g}`));
    const walks: string[][] = [];
    let reason = null;
    let voteFractions: number[] = [];
    while (reason === null) {
      walks.push(synthetic.answerWalk(crowd[Math.floor(rng() * crowd.length)]!, truth, rng));
      const { counts, total } = countAnswers(walks);
      voteFractions = cumulativeFractions(counts, total);
      reason = retirementReason({ classifications: walks.length, voteFractions }, rules);
    }
    votes += walks.length;
    if (reason !== "count") early++;
    const cls = synthetic.expectedClass(truth);
    const crowdClass = classDistribution(voteFractions);
    if (cls !== null) {
      labelled++;
      if (crowdClass && argmaxClass(crowdClass) === cls) correct++;
    }
  }
  return { meanVotes: votes / options.galaxies, labelAccuracy: labelled ? correct / labelled : 0, early: early / options.galaxies };
}
