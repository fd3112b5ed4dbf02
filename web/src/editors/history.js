// An editor's undo history: the states of its answer, recorded when the editor reports a change
// (at once for a whole step, after a pause for a move still going on), up to 200 of them.
export function createHistory(editorOf, onState) {
  let undo = [];
  let committed = null;
  let timer = 0;

  // Records a state when the answer differs from the last one recorded.
  function commit() {
    clearTimeout(timer);
    const editor = editorOf();
    if (!editor) return;
    const cur = JSON.stringify(editor.get());
    if (cur !== committed) {
      undo.push(committed);
      if (undo.length > 200) undo.shift();
      committed = cur;
    }
    onState(undo.length > 0);
  }
  return {
    commit,
    // The editor's onChange.
    onChange(immediate) {
      clearTimeout(timer);
      if (immediate) commit();
      else timer = setTimeout(commit, 300);
    },
    undo() {
      commit();
      if (!undo.length) return;
      committed = undo.pop();
      editorOf().set(JSON.parse(committed));
      onState(undo.length > 0);
    },
    // Starts afresh from the editor's answer now.
    reset() {
      clearTimeout(timer);
      undo = [];
      const editor = editorOf();
      committed = editor ? JSON.stringify(editor.get()) : null;
      onState(false);
    },
    destroy() { clearTimeout(timer); },
  };
}
