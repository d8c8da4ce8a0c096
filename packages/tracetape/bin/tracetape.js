#!/usr/bin/env node
// The CLI lives in @tracetape/replay; this package only gives it the short install name.
import '@tracetape/replay/cli';
