// Preloaded into each function npm start runs (node --import). The functions run detached, out of
// the terminal's process group, so a SIGKILL of npm start, which runs no exit handler, would leave
// them serving on its ports and the next npm start would fail on EADDRINUSE. Once npm start is
// gone the process is re-parented: it then stops as on any SIGTERM, finishing what it was doing.
const parent = process.ppid
const watch = setInterval(() => {
  if (process.ppid !== parent) {
    // Once: the function handles the first SIGTERM; a second would find no handler and kill it.
    clearInterval(watch)
    process.kill(process.pid, 'SIGTERM')
  }
}, 1_000).unref()
