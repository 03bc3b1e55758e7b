function applyFilters(){
  const on={};document.querySelectorAll('.filters input').forEach(i=>on[i.value]=i.checked);
  let n=0;document.querySelectorAll('.flag').forEach(f=>{const v=on[f.dataset.severity]!==false;
    f.classList.toggle('hidden',!v);if(v)n++;});
  document.getElementById('flags-shown').textContent=n;
}
document.addEventListener('DOMContentLoaded',()=>{
  document.querySelectorAll('.filters input').forEach(i=>i.addEventListener('change',applyFilters));
  applyFilters();
});
