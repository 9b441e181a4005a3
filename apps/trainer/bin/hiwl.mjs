#!/usr/bin/env node
// The CLI is TypeScript run through tsx: no build step between editing packages/* and running it.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/index.ts");
