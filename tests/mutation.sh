#!/usr/bin/env bash
# Mutation testing (mutmut) of the modules whose rules protect users, each against the fast tests that cover it.
# Not part of the suite's command (tests/run.sh): it takes minutes per module. Results: docs/testing.md.
#
# Usage: bash tests/mutation.sh [MODULE...]   MODULE: trust answers quantities check ownership refusals (default: all),
#        or one file of trust/, e.g. trust/limits.py, run against trust's tests (a module's figures are the sum of its files')
#
# One module at a time, one test process at a time (MUTATION_JOBS, default 1): the machines are shared. Each run
# works in a scratch copy of the tracked files, so mutmut's `mutants/` folder never lands in the work tree.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mutmut=$root/.venv/bin/mutmut
[ -x "$mutmut" ] || { echo "tests/mutation.sh: $mutmut is missing: pip install -e '.[test]'" >&2; exit 2; }

declare -A SOURCE=(
  [trust]="generator/trust/*"
  [answers]="generator/answers.py"
  [quantities]="generator/quantities.py"
  [check]="generator/check.py"
  [ownership]="generator/ownership.py"
  [refusals]="generator/refusals.py"
)
# The tests that exercise each module (no Go builds, no containers): the *_rules.py files pin the
# rules on small inputs; check also runs test_check.py (seconds), which checks repos of the bundled template.
declare -A TESTS=(
  [trust]="tests/test_guard_rules.py tests/test_consent_rules.py tests/test_limits_rules.py tests/test_snapshot_rules.py tests/test_trust.py"
  [answers]="tests/test_answers.py"
  [quantities]="tests/test_quantities.py tests/test_answers.py"
  [check]="tests/test_check_rules.py tests/test_check.py"
  [ownership]="tests/test_ownership_rules.py"
  [refusals]="tests/test_refusal_rules.py"
)

modules=("$@")
[ ${#modules[@]} -gt 0 ] || modules=(trust answers quantities check ownership refusals)
for module in "${modules[@]}"; do
  if [[ $module == trust/*.py && -f generator/$module ]]; then
    SOURCE[$module]=generator/$module
    TESTS[$module]=${TESTS[trust]}
  fi
  [ -n "${SOURCE[$module]:-}" ] || { echo "tests/mutation.sh: unknown module '$module'; accepted: ${!SOURCE[*]} or trust/FILE.py" >&2; exit 2; }
done

out=${MUTATION_WORK:-${TMPDIR:-/tmp}/scaffold-mutation}
for module in "${modules[@]}"; do
  work=$out/${module//\//-}  # kept: `cd $work && mutmut show NAME` shows a mutant, `mutmut run NAME` retries one
  rm -rf "$work"
  mkdir -p "$work"
  git ls-files -co --exclude-standard -z | while IFS= read -r -d '' file; do
    if [ -e "$file" ]; then mkdir -p "$work/$(dirname "$file")" && cp -P "$file" "$work/$file"; fi
  done
  {
    echo "[mutmut]"
    echo "source_paths=generator"
    echo "also_copy="  # what tests read beside the code: the templates, and the docs some tests check
    echo "    templates"
    echo "    docs"
    echo "    README.md"
    echo "only_mutate=${SOURCE[$module]}"
    echo "pytest_add_cli_args_test_selection="
    for test in ${TESTS[$module]}; do echo "    $test"; done
    echo "pytest_add_cli_args=-p no:cacheprovider -x -q"
  } >"$work/setup.cfg"
  sed -i '/^\[tool\.mutmut\]/,$d' "$work/pyproject.toml"  # setup.cfg is read only without [tool.mutmut]
  echo "== $module: ${SOURCE[$module]} against ${TESTS[$module]} (in $work)"
  (cd "$work" && "$mutmut" run --max-children "${MUTATION_JOBS:-1}" >"$work/run.log" 2>&1) || {
    tail -20 "$work/run.log" >&2
    echo "tests/mutation.sh: mutmut failed on $module (log above)" >&2
    exit 1
  }
  (cd "$work" && "$mutmut" results --all true) >"$work/results.txt" 2>&1 || true
  killed=$(grep -c ': killed$' "$work/results.txt" || true)
  total=$(grep -c ': ' "$work/results.txt" || true)
  echo "$module: $killed of $total mutants killed; the others:"
  grep -v ': killed$' "$work/results.txt" || true
done
