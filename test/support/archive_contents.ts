/**
 * What a release archive holds, read by Python's tarfile and zipfile: readers independent of
 * scripts/archive.ts, which wrote it (python3 is already needed by `npm test`).
 *
 * @module
 */

import { runToExit } from "./server.ts";

export interface ArchivedFile {
  name: string;
  /** The permission bits, e.g. 0o755. */
  mode: number;
  size: number;
  sha256: string;
}

const READER = `
import hashlib, json, sys, tarfile, zipfile
path = sys.argv[1]
files = []
if path.endswith(".zip"):
    with zipfile.ZipFile(path) as archive:
        bad = archive.testzip()
        if bad is not None:
            sys.exit(f"{path}: {bad} fails its CRC")
        for info in archive.infolist():
            data = archive.read(info)
            files.append({"name": info.filename, "mode": (info.external_attr >> 16) & 0o7777, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
else:
    with tarfile.open(path, "r:xz") as archive:
        for member in archive.getmembers():
            data = archive.extractfile(member).read() if member.isfile() else b""
            files.append({"name": member.name, "mode": member.mode, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
print(json.dumps(files))
`;

/** The files in the `.tar.xz` or `.zip` at `path`; throws when Python cannot read it. */
export async function archiveContents(path: string): Promise<ArchivedFile[]> {
  if (!Bun.which("python3")) throw new Error("python3 not found: install Python 3.9 or later (Debian, Ubuntu: sudo apt-get install python3)");
  const { code, stdout, stderr } = await runToExit(["python3", "-c", READER, path]);
  if (code !== 0) throw new Error(`python3 could not read ${path} (exit ${code}): ${stderr.trim()}`);
  return JSON.parse(stdout) as ArchivedFile[];
}
