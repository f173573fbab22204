#!/usr/bin/env bash
# Checks what is staged as a fresh checkout would see it: lint and the whole test suite in a
# worktree of HEAD plus the staged diff, so files other work leaves unstaged cannot hide a failure.
set -euo pipefail
root="$(git rev-parse --show-toplevel)"
tree="$(mktemp -d)/wt"
git -C "$root" worktree add -q "$tree" HEAD
trap 'git -C "$root" worktree remove --force "$tree"' EXIT
git -C "$root" diff --cached --binary | git -C "$tree" apply --allow-empty
ln -s "$root/node_modules" "$tree/node_modules"
cd "$tree"
npm run lint
npm test
