/**
 * The commands a Markdown file tells its reader to type, read from its fenced code blocks, and
 * what it shows them answering.
 *
 * In `sh`, `bash`, `shell` and `powershell` blocks every line is a command (a trailing `\` joins
 * the next line; ` # …` after it is a note), and the `# …` lines right under a command are what it
 * prints — one line each, any of which may be the answer. `#` lines before a block's first
 * command are prose. In `console` blocks a command starts with `$ ` and the lines up to the next
 * `$ ` are its output, as shown.
 *
 * @module
 */

export const SHELL_LANGUAGES = ["sh", "bash", "shell", "powershell", "console"];

export interface CodeBlock {
  /** The file, as the caller named it. */
  file: string;
  /** The word after the opening fence; `""` for a bare fence. */
  lang: string;
  /** The 1-based line of the opening fence. */
  line: number;
  lines: string[];
}

export interface ShellCommand {
  file: string;
  /** The 1-based line the command starts on. */
  line: number;
  /** The position of its code block among the file's blocks. */
  block: number;
  /** As typed, continuation lines joined, the trailing note removed. */
  text: string;
  /** The trailing ` # …`, without the `#`; `""` when there is none. */
  note: string;
  /** What the file shows it printing: the `# …` lines under it, or a console transcript's lines. */
  shown: string[];
}

/** Every fenced code block of `markdown`. */
export function codeBlocks(markdown: string, file: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  let open: CodeBlock | undefined;
  markdown.split("\n").forEach((text, index) => {
    const fence = /^\s*```(\S*)\s*$/.exec(text);
    if (open) {
      if (fence && fence[1] === "") {
        blocks.push(open);
        open = undefined;
      } else open.lines.push(text);
    } else if (fence) open = { file, lang: fence[1]!, line: index + 1, lines: [] };
  });
  if (open) throw new Error(`${file}:${open.line}: a code block is never closed`);
  return blocks;
}

/** Splits `line` at its first ` #` outside quotes: the command and its note. */
function splitNote(line: string): { text: string; note: string } {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === "#" && i > 0 && /\s/.test(line[i - 1]!)) {
      return { text: line.slice(0, i).trim(), note: line.slice(i + 1).trim() };
    }
  }
  return { text: line.trim(), note: "" };
}

/** The commands of every shell block in `markdown`, in the order the file shows them. */
export function shellCommands(markdown: string, file: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  codeBlocks(markdown, file).forEach((block, blockIndex) => {
    if (!SHELL_LANGUAGES.includes(block.lang)) return;
    let current: ShellCommand | undefined;
    for (let i = 0; i < block.lines.length; i++) {
      const line = block.line + 1 + i;
      let text = block.lines[i]!;
      if (block.lang === "console") {
        if (text.startsWith("$ ")) {
          current = { file, line, block: blockIndex, ...splitNote(text.slice(2)), shown: [] };
          commands.push(current);
        } else current?.shown.push(text);
        continue;
      }
      if (text.trim() === "") continue;
      if (text.trimStart().startsWith("#")) {
        current?.shown.push(text.trimStart().replace(/^#\s?/, ""));
        continue;
      }
      while (text.endsWith("\\") && i + 1 < block.lines.length) text = `${text.slice(0, -1).trimEnd()} ${block.lines[++i]!.trim()}`;
      current = { file, line, block: blockIndex, ...splitNote(text), shown: [] };
      commands.push(current);
    }
  });
  return commands;
}

/**
 * The files a Markdown file asks its reader to save: code blocks whose first line is a comment
 * naming the file (`// hello.ts: …`).
 */
export function namedFiles(markdown: string, file: string): { name: string; content: string }[] {
  return codeBlocks(markdown, file).flatMap((block) => {
    const name = /^\/\/ ([\w.-]+\.[a-z]+):/.exec(block.lines[0] ?? "")?.[1];
    return name ? [{ name, content: `${block.lines.join("\n")}\n` }] : [];
  });
}
