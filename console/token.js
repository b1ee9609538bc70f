import { setApiToken } from './api.js';
import { h } from './dom.js';

/** Asks for the instance's API_TOKEN when a write was refused; kept for this tab only (sessionStorage). */
export function tokenForm(onSaved) {
  const input = h('input', {
    type: 'password',
    id: 'api-token',
    autocomplete: 'off',
    'aria-label': 'API token',
  });
  return h(
    'form',
    {
      class: 'token',
      onsubmit: (event) => {
        event.preventDefault();
        setApiToken(input.value.trim());
        onSaved();
      },
    },
    h('p', {}, 'This instance needs its API token (API_TOKEN) for changes. It is kept in this tab only.'),
    input,
    h('button', { type: 'submit' }, 'Use token'),
  );
}
