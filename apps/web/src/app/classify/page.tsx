import type { Metadata } from "next";
import { Classifier } from "~/components/classify/classifier.tsx";

export const metadata: Metadata = { title: "Classify" };

export default function ClassifyPage() {
  return <Classifier />;
}
