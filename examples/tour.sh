#!/usr/bin/env bash
# Runs the README's "A 60-second tour" shell blocks exactly as written (steps 2 and 4), against
# a running `warroom serve` of the example organisation, then checks what the README promises:
# the critical alert opened a P0 incident and the on-call was paged.
#
#   make run            # in one terminal, from the repository root
#   examples/tour.sh    # in another
#
# TOUR_URL        the server (default http://127.0.0.1:8080, the URL the README uses)
# TOUR_DIR        scratch directory the commands run in (default: a new temporary one), so
#                 pack.tar.gz lands there and not in the repository
# TOUR_VENV       the virtualenv the README activates (default: the repository's .venv)
# WARROOM_DATABASE_URL   the server's database (default: the repository's ./warroom.db, as
#                 `make run` uses), for `warroom token create` and `warroom report --local`
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
url=${TOUR_URL:-http://127.0.0.1:8080}
dir=${TOUR_DIR:-$(mktemp -d)}
export WARROOM_DATABASE_URL=${WARROOM_DATABASE_URL:-sqlite:///$repo/warroom.db}

# The tour's ```sh blocks, with the list indentation removed and the server URL swapped in.
commands=$(awk '/^## A 60-second tour/ {on = 1; next} /^## / {on = 0} on' "$repo/README.md" \
  | awk '/^ *```sh$/ {code = 1; next} /^ *```$/ {code = 0; next} code' \
  | sed -e 's/^   //' -e "s|http://127.0.0.1:8080|$url|g")
if [ -z "$commands" ]; then
  echo "tour: no shell blocks found under '## A 60-second tour' in README.md" >&2
  exit 2
fi

mkdir -p "$dir"
ln -sfn "${TOUR_VENV:-$repo/.venv}" "$dir/.venv"
ln -sfn "$repo/examples" "$dir/examples"
cd "$dir" || exit 2

fail() { echo "tour: FAILED: $*" >&2; exit 1; }

# Each README command must succeed, as a reader would see it.
set -e
eval "$commands"
set +e

[ -n "${REF:-}" ] || fail "the README's step 4 did not set REF"
# The escalation engine pages within a second or two; give a loaded machine more.
for _ in $(seq 1 60); do
  kinds=$(curl -sS -H "Authorization: Bearer $WARROOM_TOKEN" \
    "$WARROOM_URL/api/v1/incidents/$REF/timeline" \
    | python3 -c 'import json, sys; print(" ".join(e["kind"] for e in json.load(sys.stdin)["events"]))')
  case " $kinds " in *" page_queued "*) break ;; esac
  sleep 0.5
done
severity=$(warroom incident show "$REF" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["severity"])')
[ "$severity" = "P0" ] || fail "$REF is $severity; the README promises a P0"
case " $kinds " in
  *" escalated "*" page_queued "*) ;;
  *) fail "$REF paged nobody; its timeline: $kinds" ;;
esac
[ -s pack.tar.gz ] || fail "no evidence pack was written"
echo "tour: OK — $REF is a P0, the on-call was paged, its evidence pack verifies"
