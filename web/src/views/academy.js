// The academy: courses with my standing and my qualifications; a course page with its lesson,
// practice questions (the answer and its explanation after each try) and the exam, scored on
// the server. Managers write courses and questions here too.
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t, fmtTime, fmtPercent, fmtNumber } from '../i18n/index.js';
import { canManage, fullMe, navigate } from '../core.js';
import { createEditor, summarize } from '../editors/index.js';
import { table, badge, field } from '../widgets.js';
import { kindName } from './home.js';
import { KINDS } from './manage.js';
import { LABEL_FREE_KINDS } from './kindsettings.js';

// My standing in a course: qualified, waiting out the cooldown, last score, or not taken.
function standing(c) {
  if (c.qualified) return badge(t('academy.qualified'), 'approved');
  if (c.retry_at && new Date(c.retry_at) > new Date()) return h('span', { class: 'muted' }, t('academy.retryAt', { time: fmtTime(c.retry_at) }));
  if (c.last_score != null) return h('span', { class: 'muted' }, t('academy.lastScore', { score: fmtPercent(c.last_score) }));
  return h('span', { class: 'muted' }, t('academy.notTaken'));
}

export async function academyView(root, _params, ctx) {
  const me = await fullMe();
  root.appendChild(h('div', { class: 'page-head' }, h('h1', null, t('academy.title'))));
  // Courses come in pages; my qualifications whole (no paging parameters).
  const [courses, quals] = await Promise.all([
    api.list('/courses'),
    api.get('/me/qualifications', { signal: ctx.signal }).then((r) => r.items),
  ]);
  if (!ctx.alive) return;
  root.append(
    h('section', { class: 'card' }, h('h2', null, t('academy.myQualifications')),
      table([
        { label: t('academy.course'), cell: (q) => h('a', { href: '/academy/' + q.course_id }, q.name) },
        { label: t('project.kind'), cell: (q) => kindName(q.kind) },
        { label: t('academy.granted'), cell: (q) => fmtTime(q.granted_at) },
      ], quals, { testid: 'qualifications', attrs: (q) => ({ 'data-course-id': q.course_id }), empty: t('academy.noQualifications') })),
    h('section', { class: 'card table-card' }, h('h2', null, t('academy.courses')),
      table([
        { label: t('academy.course'), cell: (c) => h('a', { href: '/academy/' + c.id, class: 'course-name' }, c.name) },
        { label: t('project.kind'), cell: (c) => kindName(c.kind) },
        { label: t('academy.practice'), num: true, cell: (c) => fmtNumber(c.practice_questions) },
        { label: t('academy.passScore'), num: true, cell: (c) => fmtPercent(c.pass_score) },
        { label: t('academy.standing'), cell: standing },
      ], courses, { testid: 'courses', attrs: (c) => ({ 'data-course-id': c.id }), empty: t('academy.noCourses') })));
  if (canManage(me)) root.appendChild(courseForm());
}

// A manager's new course: kind, labels, the lesson (markdown), pass score, exam size, cooldown.
function courseForm() {
  const name = h('input', { required: true, maxlength: 200, 'data-testid': 'c-name' });
  // Written answers have no one right answer: there are no courses of them.
  const kind = h('select', { 'data-testid': 'c-kind', onchange: () => syncLabels() },
    KINDS.filter((k) => k !== 'llm_response').map((k) => h('option', { value: k }, kindName(k))));
  const labels = h('textarea', { rows: 3, required: true, placeholder: t('create.labelsPlaceholder'), 'data-testid': 'c-labels' });
  // The kinds without labels ask for none.
  function syncLabels() {
    const free = LABEL_FREE_KINDS.includes(kind.value);
    labelsBox.hidden = free;
    labels.required = !free;
  }
  const multi = h('input', { type: 'checkbox', 'data-testid': 'c-multi' });
  const labelsBox = h('div', null, field(t('create.labels'), labels, t('create.labelsHint')), h('label', { class: 'check' }, multi, ' ', t('create.multi')));
  const lesson = h('textarea', { rows: 6, placeholder: t('create.instructionsPlaceholder'), 'data-testid': 'c-lesson' });
  const pass = h('input', { type: 'number', min: 1, max: 100, value: '80', 'data-testid': 'c-pass' });
  const size = h('input', { type: 'number', min: 1, max: 500, value: '10', 'data-testid': 'c-size' });
  const cooldown = h('input', { type: 'number', min: 0, max: 43200, value: '60', 'data-testid': 'c-cooldown' });
  return h('form', {
    class: 'card form-card', 'data-testid': 'course-form',
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        const c = await api.post('/courses', {
          name: name.value.trim(), kind: kind.value, multi_label: multi.checked, lesson: lesson.value,
          ...(LABEL_FREE_KINDS.includes(kind.value) ? {} : { labels: labels.value.split('\n').map((s) => s.trim()).filter(Boolean) }),
          pass_score: Math.min(1, Math.max(0.01, (+pass.value || 80) / 100)),
          exam_size: +size.value || 10, cooldown_seconds: Math.round((+cooldown.value || 0) * 60),
        });
        toast(t('academy.created'), 'ok');
        navigate('/academy/' + c.id);
      } catch (err) { toast(err.message); }
    },
  }, h('h2', null, t('academy.newCourse')),
  h('div', { class: 'grid-2' }, field(t('project.name'), name), field(t('project.kind'), kind)),
  h('div', { class: 'grid-2' },
    labelsBox,
    field(t('academy.lesson'), lesson, t('create.instructionsHint'))),
  h('div', { class: 'grid-4' }, field(t('academy.passScorePct'), pass), field(t('academy.examSize'), size),
    field(t('academy.cooldownMin'), cooldown)),
  h('div', { class: 'card-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'c-submit' }, t('academy.create'))));
}

// A question's item drawn with the editor of the course's kind. Image questions carry a
// data: URL or the course's own asset route (for an item taken from a project).
async function questionEditor(host, course, q) {
  const data = h('div', { class: 'quiz-data' });
  const side = h('div', { class: 'quiz-side' });
  replace(host, h('div', { class: 'quiz' }, data, side));
  const item = q.item || {};
  const isImage = course.kind.startsWith('image_');
  let image = null;
  if (isImage) {
    if (item.image_url && /^(data:image\/|\/)/.test(item.image_url)) {
      image = new Image();
      image.src = item.image_url;
      await image.decode().catch(() => {});
    } else {
      data.appendChild(h('p', { class: 'muted' }, t('label.imageFailed')));
    }
  }
  const task = { id: 'q' + q.id, item: { ...item, type: isImage ? 'image' : 'text' }, project: course, annotation: null };
  return createEditor(data, side, task, { editable: true, preloaded: image, onChange: () => {} });
}

export async function courseView(root, [cid], ctx) {
  const me = await fullMe();
  let course = await api.get('/courses/' + cid, { signal: ctx.signal });
  if (!ctx.alive) return;
  let editor = null; // the editor keys go to: the latest question shown
  const editors = new Set();
  ctx.onCleanup(() => { for (const e of editors) e.destroy(); });
  ctx.onKey((e, field) => !!editor && editor.key(e, field) === true);
  async function show(host, q) {
    const ed = await questionEditor(host, course, q);
    editors.add(ed);
    editor = ed;
    return ed;
  }
  const drop = (ed) => { if (ed) { ed.destroy(); editors.delete(ed); if (editor === ed) editor = null; } };

  const standingBox = h('span', { 'data-testid': 'standing' }, standing(course));
  root.appendChild(h('div', { class: 'page-head' },
    h('div', null,
      h('h1', { 'data-testid': 'course-name' }, course.name),
      h('div', { class: 'project-meta' }, h('span', { class: 'badge badge-kind' }, kindName(course.kind)),
        h('span', { class: 'muted' }, t('academy.passScore'), ' ', fmtPercent(course.pass_score)), standingBox)),
    h('div', { class: 'head-actions' }, h('a', { class: 'btn', href: '/academy' }, t('academy.title')))));

  const lesson = h('div', { class: 'markdown', 'data-testid': 'lesson' });
  root.appendChild(h('section', { class: 'card' }, h('h2', null, t('academy.lesson')), lesson));
  if (course.lesson && course.lesson.trim()) {
    const { renderMarkdown } = await import('../markdown.js');
    replace(lesson, renderMarkdown(course.lesson));
  } else lesson.appendChild(h('p', { class: 'muted' }, t('academy.noLesson')));

  // Practice: one question at a time; each try shows the answer and why.
  const practiceBox = h('section', { class: 'card', 'data-testid': 'practice' });
  const examBox = h('section', { class: 'card', 'data-testid': 'exam' });
  root.append(practiceBox, examBox);
  const questions = await api.list('/courses/' + cid + '/practice', 10000);
  if (!ctx.alive) return;
  let pEditor = null;
  async function practice(i) {
    drop(pEditor);
    pEditor = null;
    if (!questions.length) {
      replace(practiceBox, h('h2', null, t('academy.practice')), h('p', { class: 'muted' }, t('academy.noPractice')));
      return;
    }
    const q = questions[i];
    const host = h('div');
    const result = h('div', { 'data-testid': 'practice-result' });
    const check = h('button', {
      type: 'button', class: 'btn btn-primary', 'data-testid': 'practice-check',
      onclick: async () => {
        const problem = pEditor.validate();
        if (problem) { toast(t(problem)); return; }
        try {
          const r = await api.post('/courses/' + cid + '/practice/' + q.id, { annotation: pEditor.get() });
          replace(result, h('div', { class: ['quiz-result', r.correct ? 'quiz-ok' : 'quiz-bad'], 'data-correct': String(r.correct) },
            h('strong', null, r.correct ? t('academy.correct') : t('academy.wrong')), ' ',
            t('academy.answerWas'), ' ', h('span', { 'data-testid': 'practice-answer' }, summarize(course.kind, r.answer)),
            r.explanation ? h('p', { class: 'reason-text', 'data-testid': 'practice-explanation' }, r.explanation) : null));
        } catch (err) { toast(err.message); }
      },
    }, t('academy.check'));
    replace(practiceBox, h('h2', null, t('academy.practice'), ' ',
      h('span', { class: 'count', 'data-testid': 'practice-pos' }, t('academy.questionOf', { n: i + 1, total: questions.length }))),
    host, result,
    h('div', { class: 'card-actions' },
      h('button', { type: 'button', class: 'btn', disabled: i === 0, onclick: () => practice(i - 1) }, t('academy.prev')),
      h('button', { type: 'button', class: 'btn', disabled: i + 1 >= questions.length, 'data-testid': 'practice-next', onclick: () => practice(i + 1) }, t('academy.next')),
      check));
    pEditor = await show(host, q);
  }
  await practice(0);

  // The exam: started on demand, answered one question at a time, handed in whole.
  let eEditor = null;
  function examIntro(result) {
    drop(eEditor);
    eEditor = null;
    const waiting = course.retry_at && new Date(course.retry_at) > new Date();
    const blocked = course.qualified || waiting || !course.exam_questions;
    replace(examBox, h('h2', null, t('academy.exam')), result || null,
      h('p', { class: 'muted' }, course.qualified ? t('academy.passed')
        : waiting ? t('academy.retryAt', { time: fmtTime(course.retry_at) })
          : !course.exam_questions ? t('academy.noExam')
            : t('academy.examHint', { n: Math.min(course.exam_size, course.exam_questions), score: fmtPercent(course.pass_score) })),
      blocked ? null : h('div', { class: 'card-actions' },
        h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'exam-start', onclick: startExam }, t('academy.startExam'))));
  }
  async function startExam() {
    let attempt;
    try {
      attempt = await api.post('/courses/' + cid + '/exam');
    } catch (err) { toast(err.message); return; }
    const answers = new Map();
    const save = (q) => {
      if (eEditor && !eEditor.validate()) answers.set(q.id, eEditor.get());
    };
    async function step(i) {
      const q = attempt.questions[i];
      drop(eEditor);
      const host = h('div');
      const last = i + 1 >= attempt.questions.length;
      replace(examBox, h('h2', null, t('academy.exam'), ' ',
        h('span', { class: 'count', 'data-testid': 'exam-pos' }, t('academy.questionOf', { n: i + 1, total: attempt.questions.length }))),
      host,
      h('div', { class: 'card-actions' },
        h('button', { type: 'button', class: 'btn', disabled: i === 0, onclick: () => { save(q); step(i - 1); } }, t('academy.prev')),
        last ? h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'exam-submit', onclick: () => { save(q); submit(); } }, t('academy.handIn'))
          : h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'exam-next', onclick: () => { save(q); step(i + 1); } }, t('academy.next'))));
      eEditor = await show(host, q);
      if (answers.has(q.id)) eEditor.set(answers.get(q.id));
    }
    async function submit() {
      try {
        const r = await api.post('/exams/' + attempt.attempt_id + '/submit', {
          answers: [...answers].map(([qid, annotation]) => ({ question_id: qid, annotation })),
        });
        course = await api.get('/courses/' + cid);
        replace(standingBox, standing(course));
        examIntro(h('div', { class: ['quiz-result', r.passed ? 'quiz-ok' : 'quiz-bad'], 'data-testid': 'exam-result', 'data-passed': String(r.passed) },
          h('strong', null, r.passed ? t('academy.examPassed') : t('academy.examFailed')), ' ',
          t('academy.yourScore', { score: fmtPercent(r.score), pass: fmtPercent(course.pass_score) })));
      } catch (err) { toast(err.message); }
    }
    await step(0);
  }
  examIntro();

  // Only a course's author (or an admin) may add to it; the server refuses anyone else.
  if (me.is_admin || (course.created_by && course.created_by === me.id)) root.appendChild(questionForm(course));
}

// The shapes a question's item text and answer take, where they are JSON.
const ITEM_SHAPES = { llm_preference: '{"prompt":"…","responses":[{"id":"a","text":"…"},{"id":"b","text":"…"}]}' };
const ANSWER_SHAPES = {
  text_spans: '{"spans":[{"start":0,"end":5,"label":"…"}]}',
  llm_preference: '{"best":"a","ratings":{"a":{"helpfulness":4,…},"b":{…}},"reason":"…","order":["a","b"]}',
  image_transcription: '{"lines":[{"text":"…","box":{"x":0,"y":0,"w":10,"h":10}}]}',
};

// A manager's new practice or exam question: the text (or item JSON for image kinds), the
// answer (a label for classification, else annotation JSON) and an explanation.
function questionForm(course) {
  const classify = course.kind.endsWith('_class');
  const isText = !course.kind.startsWith('image_');
  const role = h('select', { 'data-testid': 'q-role' }, ['practice', 'exam'].map((r) => h('option', { value: r }, t('academy.role.' + r))));
  const item = h('textarea', { rows: 3, required: true, 'data-testid': 'q-item', placeholder: isText ? ITEM_SHAPES[course.kind] || '' : '{"item_id":123}  —  {"width":640,"height":480,"image_url":"data:image/png;base64,…"}' });
  const answer = classify
    ? h('select', { multiple: !!course.multi_label, 'data-testid': 'q-answer' }, course.labels.map((l) => h('option', { value: l }, l)))
    : h('textarea', { rows: 3, required: true, 'data-testid': 'q-answer', placeholder: ANSWER_SHAPES[course.kind] || '{"boxes":[…]}' });
  const explanation = h('textarea', { rows: 2, 'data-testid': 'q-explanation' });
  return h('form', {
    class: 'card form-card', 'data-testid': 'question-form',
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        const body = {
          role: role.value,
          item: isText ? { text: item.value } : JSON.parse(item.value),
          answer: classify ? { labels: [...answer.selectedOptions].map((o) => o.value) } : JSON.parse(answer.value),
          explanation: explanation.value,
        };
        await api.post('/courses/' + course.id + '/questions', body);
        toast(t('academy.questionAdded'), 'ok');
        item.value = '';
        explanation.value = '';
      } catch (err) { toast(err.message); }
    },
  }, h('h2', null, t('academy.addQuestion')),
  h('div', { class: 'grid-2' }, field(t('academy.questionRole'), role), field(t('academy.answer'), answer)),
  field(isText ? t('academy.questionText') : t('academy.questionItem'), item),
  field(t('academy.explanation'), explanation),
  h('div', { class: 'card-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'q-submit' }, t('academy.addQuestion'))));
}
