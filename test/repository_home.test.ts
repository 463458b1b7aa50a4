/**
 * srsr has one home on GitHub, named once in package.json's `repository`; every GitHub address
 * the READMEs give (a URL, a Go module path, an npm `github:` spec) names it.
 *
 * @module
 */

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./support/server.ts";

const FILES = ["README.md", "clients/go/README.md", "clients/python/README.md", "clients/go/go.mod", "clients/python/pyproject.toml"];

/** Other projects the READMEs name on purpose, each with why. */
const OTHER_PROJECTS: Record<string, string> = {
  "ifIMust/srsr": "the original srsr, whose Go client's import path a user switching from it replaces",
};

const read = (file: string) => readFileSync(join(ROOT, file), "utf8");
const { repository } = JSON.parse(read("package.json")) as { repository?: { type?: string; url?: string } };

/** owner/name of every GitHub address in `text`: github.com/owner/name… and github:owner/name. */
function githubAddresses(text: string): string[] {
  const found = [...text.matchAll(/github\.com[/:]([^/\s`'"()<>]+)\/([^/\s`'"()<>#?]+)|\bgithub:([^/\s`'"()]+)\/([^/\s`'"()#]+)/g)];
  return found.map((match) => `${match[1] ?? match[3]}/${(match[2] ?? match[4])!.replace(/[.,;:]+$/, "").replace(/\.git$/, "")}`);
}

describe("the repository's home", () => {
  test("package.json names it in `repository`, as a git URL on GitHub", () => {
    expect(repository?.type).toBe("git");
    expect(repository?.url).toMatch(/^git\+https:\/\/github\.com\/[^/]+\/[^/]+\.git$/);
  });

  const home = githubAddresses(repository?.url ?? "")[0];

  test.each(FILES)("every GitHub address in %s names it", (file) => {
    const others = githubAddresses(read(file)).filter((address) => address !== home && !(address in OTHER_PROJECTS));
    expect(others).toEqual([]);
  });

  test("the Go module lives under it", () => {
    expect(read("clients/go/go.mod")).toStartWith(`module github.com/${home}/clients/go\n`);
  });

  test("README.md and the Python package link to it", () => {
    expect(["README.md", "clients/python/pyproject.toml"].filter((file) => !githubAddresses(read(file)).includes(home!))).toEqual([]);
  });
});
