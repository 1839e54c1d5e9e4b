// The script editor of the admin's script page: CodeMirror 6 over the form's
// <textarea name="source">, which stays the real form field (the editor copies
// every change into it, so the form posts what the editor shows, and a page
// without this script still works). The server hands it what it knows in one
// JSON block (#scripthost-editor-config, see _editor.html): the compile error
// to mark (line, column, message), the URL of the host API completions, and the
// templates a new script may start from.
import { EditorView, basicSetup } from "codemirror";
import { keymap } from "@codemirror/view";
import { EditorState, Prec } from "@codemirror/state";
import { indentWithTab } from "@codemirror/commands";
import { javascript, javascriptLanguage } from "@codemirror/lang-javascript";
import { setDiagnostics, lintGutter } from "@codemirror/lint";

function readConfig() {
  const node = document.getElementById("scripthost-editor-config");
  return node ? JSON.parse(node.textContent) : {};
}

// The document position of a 1-based line and column, kept inside the text.
export function positionOf(doc, line, column) {
  const lineNo = Math.min(Math.max(line || 1, 1), doc.lines);
  const at = doc.line(lineNo);
  const offset = Math.min(Math.max((column || 1) - 1, 0), at.length);
  return at.from + offset;
}

function errorDiagnostics(doc, error) {
  if (!error || !error.line) return [];
  const from = positionOf(doc, error.line, error.column);
  const lineEnd = doc.lineAt(from).to;
  // Mark the token at the column (to the end of its word), or one character.
  const rest = doc.sliceString(from, lineEnd);
  const word = /^[\w$]+/.exec(rest);
  const to = Math.min(lineEnd, from + (word ? word[0].length : 1));
  return [{ from, to: Math.max(to, from), severity: "error", message: error.message, source: "V8" }];
}

// Completions of the platform's globals and their members, from the JSON the
// build derives from static/scripthost/scripthost.d.ts: {globals: {name:
// {detail, info, members: {name: {detail, info}}}}}.
function hostCompletions(api) {
  const globals = (api && api.globals) || {};
  const globalOptions = Object.keys(globals).map((name) => ({
    label: name,
    type: { function: "function", class: "class" }[globals[name].kind] ||
      (globals[name].members ? "namespace" : "variable"),
    detail: globals[name].detail || "",
    info: globals[name].info || undefined,
    boost: 1,
  }));
  return (context) => {
    // After a dot: the members of a known global, or of its member (utils.date.).
    const member = context.matchBefore(/[\w$]+(?:\.[\w$]+)*\.[\w$]*$/);
    if (member) {
      const parts = member.text.split(".");
      const partial = parts.pop();
      let entry = globals[parts[0]];
      for (const part of parts.slice(1)) entry = entry && entry.members && entry.members[part];
      if (!entry || !entry.members) return null;
      const options = Object.keys(entry.members).map((name) => ({
        label: name,
        type: entry.members[name].kind === "property" ? "property" : "method",
        detail: entry.members[name].detail || "",
        info: entry.members[name].info || undefined,
      }));
      return { from: member.to - partial.length, options, validFor: /^[\w$]*$/ };
    }
    const word = context.matchBefore(/[\w$]+$/);
    if (!word && !context.explicit) return null;
    // Not after a dot (that is a member of something we do not know).
    const start = word ? word.from : context.pos;
    if (start > 0 && context.state.sliceDoc(start - 1, start) === ".") return null;
    return { from: start, options: globalOptions, validFor: /^[\w$]*$/ };
  };
}

function submitContinue(form) {
  const button = form.querySelector('input[name="_continue"]');
  if (button && form.requestSubmit) form.requestSubmit(button);
  else {
    const flag = document.createElement("input");
    flag.type = "hidden";
    flag.name = "_continue";
    flag.value = "1";
    form.appendChild(flag);
    form.submit();
  }
}

async function loadApi(url) {
  if (!url) return {};
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    return response.ok ? await response.json() : {};
  } catch (error) {
    return {}; // the editor works without host completions
  }
}

function setUpTemplates(view, textarea, templates) {
  const picker = document.getElementById("scripthost-template-picker");
  if (!picker || !templates || !templates.length) return;
  const select = picker.querySelector("select");
  select.hidden = false; // without this script, the <noscript> links do it
  select.addEventListener("change", () => {
    const chosen = templates.find((t) => t.key === select.value);
    if (!chosen) return;
    const current = view.state.doc.toString();
    const isTemplate = !current.trim() || templates.some((t) => t.source === current);
    if (!isTemplate && !window.confirm("Replace the source with the " + chosen.title + " template?")) {
      return;
    }
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: chosen.source } });
  });
}

async function start() {
  const textarea = document.querySelector('textarea[name="source"]');
  if (!textarea || textarea.dataset.editor === "on") return;
  textarea.dataset.editor = "on";
  const config = readConfig();
  const form = textarea.form;
  const api = await loadApi(config.completionsUrl);

  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        basicSetup,
        javascript(),
        javascriptLanguage.data.of({ autocomplete: hostCompletions(api) }),
        lintGutter(),
        keymap.of([indentWithTab]),
        Prec.highest(
          keymap.of([
            { key: "Mod-s", preventDefault: true, run: () => (submitContinue(form), true) },
          ]),
        ),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) textarea.value = update.state.doc.toString();
        }),
      ],
    }),
  });
  view.dom.classList.add("scripthost-editor");
  textarea.insertAdjacentElement("afterend", view.dom);
  textarea.hidden = true;
  textarea.style.display = "none";
  if (form) form.addEventListener("submit", () => (textarea.value = view.state.doc.toString()));

  const marks = errorDiagnostics(view.state.doc, config.error);
  if (marks.length) {
    view.dispatch(setDiagnostics(view.state, marks));
    view.dispatch({ selection: { anchor: marks[0].from }, scrollIntoView: true });
  }
  setUpTemplates(view, textarea, config.templates);
  window.scripthostEditor = view; // for tests and the curious
  view.dom.dataset.ready = "true";
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
