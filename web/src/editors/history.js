// An editor's undo history: the states of its answer, recorded when the editor reports a change
// (at once for a whole step, after a pause for a move still going on), up to 200 of them. An
// undone state can be redone until the answer changes anew.
export function createHistory(editorOf, onState) {
  let undo = [];
  let redo = [];
  let committed = null;
  let timer = 0;

  const tell = () => onState(undo.length > 0, redo.length > 0);

  // Records a state when the answer differs from the last one recorded; a new change drops
  // what could have been redone.
  function commit() {
    clearTimeout(timer);
    const editor = editorOf();
    if (!editor) return;
    const cur = JSON.stringify(editor.get());
    if (cur !== committed) {
      undo.push(committed);
      if (undo.length > 200) undo.shift();
      committed = cur;
      redo = [];
    }
    tell();
  }
  // Moves one state from `from` to `to` and shows it.
  function step(from, to) {
    commit();
    if (!from.length) return;
    to.push(committed);
    committed = from.pop();
    editorOf().set(JSON.parse(committed));
    tell();
  }
  return {
    commit,
    // The editor's onChange.
    onChange(immediate) {
      clearTimeout(timer);
      if (immediate) commit();
      else timer = setTimeout(commit, 300);
    },
    undo() { step(undo, redo); },
    redo() { step(redo, undo); },
    // Starts afresh from the editor's answer now.
    reset() {
      clearTimeout(timer);
      undo = [];
      redo = [];
      const editor = editorOf();
      committed = editor ? JSON.stringify(editor.get()) : null;
      tell();
    },
    destroy() { clearTimeout(timer); },
  };
}
