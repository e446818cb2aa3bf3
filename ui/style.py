"""The page's CSS and the one piece of JavaScript (the source-click bridge).

Kept in Python strings so they ship inside the `ui` package with no package-data setup.
Colours use Gradio's theme variables where one fits, so dark mode still reads well.
"""

import json

CSS = """
#ethos-header { align-items: center; gap: 12px; flex-wrap: wrap; }
#ethos-brand { flex: 1 1 260px; min-width: 260px; }
.ethos-brand h1 { margin: 0; font-size: 1.6rem; }
.ethos-brand p { margin: 2px 0 0; color: var(--body-text-color-subdued); }
.ethos-role { font-size: .9rem; padding: 2px 0; }
.ethos-role-error { color: #b42318; font-weight: 600; }

#ethos-starters .ethos-starter { justify-content: flex-start; text-align: left; white-space: normal;
  height: auto; min-height: 2.4em; }
.ethos-persona { font-weight: 600; margin: 4px 0 2px; }

.ethos-question { white-space: pre-wrap; }
.ethos-answer p { margin: 0 0 .5em; }
.ethos-answer ul { margin: 0 0 .5em 1.2em; }
.ethos-cursor { animation: ethos-blink 1s steps(1) infinite; }
@keyframes ethos-blink { 50% { opacity: 0; } }
.ethos-cite { display: inline; border: 0; padding: 0 2px; margin: 0 1px; cursor: pointer; font: inherit;
  font-size: .85em; vertical-align: super; line-height: 1; color: var(--color-accent); background: transparent;
  text-decoration: underline; border-radius: 3px; }
.ethos-cite:hover, .ethos-cite:focus-visible { background: var(--color-accent-soft); }

.ethos-refusal { border-left: 4px solid #d97706; padding-left: 10px; }
.ethos-refusal-label { display: inline-block; font-weight: 700; font-size: .8rem; text-transform: uppercase;
  letter-spacing: .04em; color: #92400e; background: #fef3c7; border-radius: 4px; padding: 2px 8px;
  margin-bottom: 6px; }
.ethos-unsupported { background: #fee4e2; color: #7a271a; border-bottom: 2px dotted #d92d20; }
.ethos-unsupported-note { font-size: .85rem; color: #b42318; margin: 4px 0; }
.ethos-error { color: #b42318; }

.ethos-sources { margin-top: 8px; border-top: 1px solid var(--border-color-primary); padding-top: 6px; }
.ethos-sources-title { font-size: .8rem; font-weight: 700; text-transform: uppercase; letter-spacing: .04em;
  color: var(--body-text-color-subdued); margin-bottom: 4px; }
ol.ethos-source-list { list-style: none; margin: 0 !important; padding: 0 !important; }
.ethos-source-item { margin: 0 0 6px; padding: 0; }
.ethos-source-item::marker { content: none; }
button.ethos-source { display: block; width: 100%; text-align: left; cursor: pointer; font: inherit;
  font-size: .88rem; padding: 6px 8px; border: 1px solid var(--border-color-primary); border-radius: 6px;
  background: var(--background-fill-secondary); color: inherit; }
button.ethos-source:hover, button.ethos-source:focus-visible { border-color: var(--color-accent);
  outline: 2px solid var(--color-accent-soft); }
.ethos-source-n { font-weight: 700; color: var(--color-accent); }
.ethos-source-title { font-weight: 600; }
.ethos-source-org::before { content: " · "; }
.ethos-source-org { color: var(--body-text-color-subdued); }
.ethos-source-where { display: block; font-size: .8rem; color: var(--body-text-color-subdued); }
.ethos-source-quote { display: -webkit-box; -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden;
  font-style: italic; margin-top: 2px; }

#ethos-viewer { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
  background: var(--background-fill-primary); }
.ethos-viewer-empty { color: var(--body-text-color-subdued); font-size: .9rem; }
.ethos-viewer-title { font-weight: 700; }
.ethos-viewer-where { font-size: .85rem; color: var(--body-text-color-subdued); margin-bottom: 8px; }
.ethos-page-text { position: relative; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 60vh;
  overflow-y: auto; font-size: .9rem; line-height: 1.5; border-top: 1px solid var(--border-color-primary);
  padding-top: 8px; margin-top: 4px; }
.ethos-page-text mark { background: #fde68a; color: #111; padding: 1px 0; border-radius: 2px;
  box-shadow: 0 0 0 2px #fde68a; }
.ethos-viewer-missing { color: #b42318; }

#ethos-feedback { padding: 8px; }
#ethos-library, #ethos-results { --font-mono: var(--font); }
@media (max-width: 640px) {
  .ethos-brand h1 { font-size: 1.3rem; }
  .ethos-page-text { max-height: 50vh; }
  #ethos-chat { height: 60vh !important; }
}
"""

# Runs when a viewer mounts (gr.HTML `js_on_load`). Source buttons live inside chat messages,
# which Gradio sanitises (no scripts, no data-* attributes), so one document-level listener per
# chat reads the `ethos-ref-<message>-<n>` class of a click inside that chat and fires its
# viewer's `select` event with index "<message>:<n>". Scoped by a CSS selector, so another tab
# can have its own chat and viewer: `gr.HTML(..., js_on_load=bridge_js("#my-chat"))`.
_BRIDGE_TEMPLATE = """
window.__ethosBridges = window.__ethosBridges || {};
const scope = __SCOPE__;
const known = scope in window.__ethosBridges;
window.__ethosBridges[scope] = trigger;  // a remounted viewer takes over
if (!known) {
  document.addEventListener('click', (e) => {
    const el = e.target.closest && e.target.closest('.ethos-source, .ethos-cite');
    if (!el || !el.closest(scope)) return;
    const m = (el.getAttribute('class') || '').match(/ethos-ref-(\\d+)-(\\d+)/);
    if (!m) return;
    e.preventDefault();
    window.__ethosBridges[scope]('select', {index: m[1] + ':' + m[2], value: m[1] + ':' + m[2]});
  }, true);
}
watch('value', () => {
  const mark = element.querySelector('mark');
  if (!mark) return;
  const box = element.querySelector('.ethos-page-text');
  if (box) box.scrollTop = Math.max(0, mark.offsetTop - box.clientHeight / 3);
  const top = element.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight * 0.6) element.scrollIntoView({block: 'start', behavior: 'smooth'});
});
"""


def bridge_js(scope: str) -> str:
    """The viewer's `js_on_load` for source clicks inside the element(s) matching `scope`."""
    return _BRIDGE_TEMPLATE.replace("__SCOPE__", json.dumps(scope))


BRIDGE_JS = bridge_js("#ethos-chat")
