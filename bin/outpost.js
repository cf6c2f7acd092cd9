#!/usr/bin/env node
import '../dist/bundle/outpost.js';
