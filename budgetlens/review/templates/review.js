// budgetlens review: the flag page's two buttons, through the JSON API.
document.addEventListener('DOMContentLoaded', () => {
  const flag = document.getElementById('flag');
  if (!flag) return;
  const id = flag.dataset.flagId;
  document.querySelectorAll('button.review').forEach(b => b.addEventListener('click', async () => {
    const status = document.getElementById('review-status');
    status.textContent = 'saving…';
    const res = await fetch('/api/flags/' + encodeURIComponent(id) + '/review', {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({decision: b.dataset.decision, note: document.getElementById('note').value}),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { status.textContent = 'not saved: ' + (body.error || res.status); return; }
    document.getElementById('decision').textContent = body.decision;
    flag.dataset.decision = body.decision;
    status.textContent = body.stored === false ? 'saved in the journal (store busy; the next run imports it)' : 'saved';
  }));
});
