// Keys for the stepper: Space or → steps, ← goes back, R runs or stops.

/** Call actions.step / back / run on their keys, anywhere a key does not already mean something. */
export function bindKeys(target, actions) {
  target.addEventListener('keydown', (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    const action = actionFor(event);
    if (!action) return;
    event.preventDefault();
    actions[action]();
  });
}

function actionFor(event) {
  const target = event.target instanceof Element ? event.target : document.body;
  // There keys type, choose or move a slider.
  if (target.closest('input, select, textarea, [contenteditable="true"]')) return null;
  switch (event.key) {
    case ' ':
      // Space presses a focused button; it must stay that button's key.
      return target.closest('button, a') ? null : 'step';
    case 'ArrowRight':
      return 'step';
    case 'ArrowLeft':
      return 'back';
    case 'r':
    case 'R':
      return event.repeat ? null : 'run';
    default:
      return null;
  }
}
