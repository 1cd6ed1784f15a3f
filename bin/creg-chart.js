#!/usr/bin/env node
// The bundled CLI (scripts/bundle-cli.mjs from src/main.ts); the unbundled dist/main.js behaves the same.
import '../dist/creg-chart.js';
