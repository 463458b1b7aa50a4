/** The two modal questions the dashboard asks: a token, and "really deregister?". @module */

import { storeToken } from "./api.ts";

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/**
 * Opens `dialog` and resolves with the button it was closed by (`"ok"` or `"cancel"`).
 * Escape cancels, as a native dialog does.
 */
function ask(dialog: HTMLDialogElement, onOk: () => boolean | Promise<boolean> = () => true): Promise<"ok" | "cancel"> {
  return new Promise((resolve) => {
    const form = dialog.querySelector("form")!;
    const cancel = dialog.querySelector<HTMLButtonElement>('button[value="cancel"]')!;
    const finish = (answer: "ok" | "cancel") => {
      form.removeEventListener("submit", submit);
      cancel.removeEventListener("click", cancelled);
      dialog.removeEventListener("cancel", cancelled);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const submit = async (event: SubmitEvent) => {
      event.preventDefault();
      if (await onOk()) finish("ok");
    };
    const cancelled = (event: Event) => {
      event.preventDefault();
      finish("cancel");
    };
    form.addEventListener("submit", submit);
    cancel.addEventListener("click", cancelled);
    dialog.addEventListener("cancel", cancelled);
    dialog.showModal();
  });
}

/**
 * Asks for a bearer token, saying `reason`; `check` tries it and answers the problem with it, or
 * `undefined` when it works. Resolves `true` once a token worked, `false` when cancelled.
 */
export async function askToken(reason: string, check: () => Promise<string | undefined>): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>("token-dialog");
  const input = byId<HTMLInputElement>("token-input");
  const error = byId<HTMLElement>("token-error");
  byId<HTMLElement>("token-reason").textContent = reason;
  error.textContent = "";
  input.value = "";
  const answer = await ask(dialog, async () => {
    storeToken(input.value.trim());
    const problem = await check();
    error.textContent = problem ?? "";
    if (problem !== undefined) input.select();
    return problem === undefined;
  });
  return answer === "ok";
}

/** "Deregister `what`?"; resolves `true` when confirmed. */
export async function confirmDeregister(what: string): Promise<boolean> {
  byId<HTMLElement>("confirm-text").textContent = what;
  return (await ask(byId<HTMLDialogElement>("confirm-dialog"))) === "ok";
}
