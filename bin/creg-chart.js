#!/usr/bin/env node
// The bundled CLI (scripts/bundle-cli.mjs); the unbundled dist/cli.js behaves the same.
import '../dist/creg-chart.js';
