// Preloaded with `node --import` into a child whose memory a test bounds: prints the process's
// peak RSS (kB, getrusage's ru_maxrss) on stderr as it exits, since /proc of an exited child is gone.
process.on('exit', () => process.stderr.write(`MAXRSS_KB ${process.resourceUsage().maxRSS}\n`));
