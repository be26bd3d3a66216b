#!/usr/bin/env node
// `npx webgpu-dl <command> …`: the built command-line entry (src/cli/main.ts).
import "../dist/cli.js";
