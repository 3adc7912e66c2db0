// Setup of every vitest file (vite.config.ts names it).
//
// Testing Library's findBy*/waitFor give up after one second by default. The first render of a
// screen in a fresh jsdom worker also loads its modules (the charts are large), and on a loaded
// two-core machine that alone can take longer than a second, so a correct screen would fail
// for being slow to import. Ten seconds keeps a real failure (the element never appears) a
// failure while the import time stops mattering.
import { configure } from "@testing-library/react";

configure({ asyncUtilTimeout: 10_000 });
