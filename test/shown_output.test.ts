import { describe, expect, test } from "bun:test";
import { shellCommands } from "./support/markdown_commands.ts";
import { applyBindings, bindingsFrom, outputMatches, shownJson } from "./support/shown_output.ts";

const ID = "1db0d1af-2b0f-4e99-8605-c1ba7fbd4a60";

describe("shownJson()", () => {
  test("reads the JSON a line starts with and leaves the note after it", () => {
    expect(shownJson('{"success":true}       renewed: it now expires')).toEqual({ success: true });
  });

  test("turns … outside strings into an open object or array", () => {
    expect(shownJson('{"a":[{"b":1},…],…}')).toEqual({ a: [{ b: 1 }, "…"], "…": "…" });
  });

  test("answers undefined for text that is not JSON", () => {
    expect(shownJson("204")).toBeUndefined();
  });
});

describe("outputMatches()", () => {
  const matches = (output: string, shown: string) => outputMatches(output, shown, { wholeText: true });

  test.each([
    [`{"id":"${ID}","success":true}`, '{"id":"0b7e6f0e-3a4e-4c43-9d1c-2f0f7c1a9b61","success":true}'],
    [`{"id":"${ID}","name":"billing","ttl":15}`, '{"id":"0b7e…","name":"billing",…}'],
    ['{"name":"billing","index":5,"instances":[]}', '{"name":"billing","index":2,"instances":[]}'],
    ['{"index":3,"instances":[1,2]}', '{"index":3,"instances":[1,…]}'],
    ["X-Srsr-Index: 5\r\n", "X-Srsr-Index: 7"],
    ["204\n", "204"],
  ])("%s is what %s shows", (output, shown) => {
    expect(matches(output, shown)).toBe(true);
  });

  test.each([
    ['{"success":true}', '{"success":false}      unknown or already expired'],
    ['{"success":true,"extra":1}', '{"success":true}'],
    ['{"id":"not-an-id"}', '{"id":"0b7e…"}'],
    ['{"ttl":30}', '{"ttl":15}'],
    ['{"instances":[1,2]}', '{"instances":[1]}'],
    ["not JSON", '{"success":true}'],
    ["404\n", "204"],
  ])("%s is not what %s shows", (output, shown) => {
    expect(matches(output, shown)).toBe(false);
  });

  test("a note in prose is not an answer to check, unless asked for the whole text", () => {
    expect(outputMatches("{}", "returns at the next change", { wholeText: false })).toBe(true);
    expect(outputMatches("{}", "returns at the next change", { wholeText: true })).toBe(false);
  });
});

describe("bindingsFrom() and applyBindings()", () => {
  test("an example id, whole or abbreviated, stands for the id answered in later commands", () => {
    const whole = bindingsFrom(`{"id":"${ID}"}`, '{"id":"0b7e6f0e-3a4e-4c43-9d1c-2f0f7c1a9b61"}');
    expect(applyBindings("curl -d '{\"id\": \"0b7e6f0e-3a4e-4c43-9d1c-2f0f7c1a9b61\"}'", whole)).toBe(`curl -d '{"id": "${ID}"}'`);
    const later = "aaaaaaaa-2b0f-4e99-8605-c1ba7fbd4a60";
    const both = [...whole, ...bindingsFrom(`{"id":"${later}"}`, '{"id":"0b7e…"}')];
    expect(applyBindings("/v1/instances/0b7e6f0e-3a4e-4c43-9d1c-2f0f7c1a9b61", both)).toBe(`/v1/instances/${later}`);
  });

  test("a shown X-Srsr-Index stands for the index answered in a later ?index=", () => {
    const bindings = bindingsFrom("X-Srsr-Index: 12\r\n", "X-Srsr-Index: 7");
    expect(applyBindings("curl 'localhost:4214/v1/services/billing?index=7&wait=5m'", bindings)).toBe("curl 'localhost:4214/v1/services/billing?index=12&wait=5m'");
  });

  test("a bare … binds nothing", () => {
    expect(bindingsFrom(`{"id":"${ID}"}`, '{"id":"…"}')).toEqual([]);
  });
});

describe("shellCommands()", () => {
  test("reads commands, their notes and the answers shown under them; prose comments before the first are not answers", () => {
    const markdown = [
      "```sh",
      "# prose",
      "curl -s localhost:4214/lookup \\",
      "  -d '{\"name\": \"a#b\"}'   # a note",
      '# {"success":true}',
      '# {"success":false}',
      "npm start",
      "```",
      "```console",
      "$ curl -sN x",
      "event: snapshot",
      "",
      "```",
    ].join("\n");
    expect(shellCommands(markdown, "X.md")).toEqual([
      { file: "X.md", line: 3, block: 0, text: "curl -s localhost:4214/lookup -d '{\"name\": \"a#b\"}'", note: "a note", shown: ['{"success":true}', '{"success":false}'] },
      { file: "X.md", line: 7, block: 0, text: "npm start", note: "", shown: [] },
      { file: "X.md", line: 10, block: 1, text: "curl -sN x", note: "", shown: ["event: snapshot", ""] },
    ]);
  });
});
