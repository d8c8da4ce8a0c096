#!/usr/bin/env node
// A committed shim, so npm can link the `tracetape` bin before `dist/` has been built.
import '../dist/cli.js';
