#!/usr/bin/env bash
# Poll storm: one gantryd (embedded PostgreSQL) holding a long poll for each of HOSTS
# simulated hosts (two gantry-agent processes, two zones), then TASKS tasks run through
# it. Prints registration time, gantryd's threads, RSS and CPU while idle, and how long
# until every task is RUNNING.
#   bench/poll_storm.sh [HOSTS=10000] [TASKS=500]   (after scripts/build)
set -euo pipefail
HOSTS=${1:-10000}
TASKS=${2:-500}
BUILD=${GANTRY_BUILD_DIR:-build}
BUILD=$(cd "$(dirname "$0")/.." && pwd)/$BUILD
WORK=$(mktemp -d /tmp/gantry-poll-storm.XXXXXX)
chmod 755 "$WORK"  # the embedded PostgreSQL runs as postgres when we are root
PORT=${PORT:-50999}
G="$BUILD/cli/gantryctl --endpoint 127.0.0.1:$PORT --credentials-file $WORK/data/admin-credentials"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

"$BUILD/gantryd/gantryd" --listen "127.0.0.1:$PORT" --aws-listen "" --data-dir "$WORK/data" \
  >"$WORK/gantryd.out" 2>"$WORK/gantryd.log" &
GANTRYD=$!
pids+=("$GANTRYD")
until grep -q ready "$WORK/gantryd.out" 2>/dev/null; do
  kill -0 "$GANTRYD" 2>/dev/null || { cat "$WORK/gantryd.log" >&2; exit 1; }
  sleep 0.1
done
VPC=$($G --output json create-vpc --cidr-block 10.0.0.0/16 | json 'd["Vpc"]["VpcId"]')
SA=$($G --output json create-subnet --vpc-id "$VPC" --cidr-block 10.0.0.0/17 \
  --availability-zone us-east-1a | json 'd["Subnet"]["SubnetId"]')
SB=$($G --output json create-subnet --vpc-id "$VPC" --cidr-block 10.0.128.0/17 \
  --availability-zone us-east-1b | json 'd["Subnet"]["SubnetId"]')

start=$(date +%s.%N)
for zone in a b; do
  "$BUILD/agent/gantry-agent" --endpoint "127.0.0.1:$PORT" --runtime sim \
    --hosts $((HOSTS / 2)) --availability-zone "us-east-1$zone" --cpu 4096 --memory 8192 \
    --state-dir "$WORK/agent-$zone" --launch-delay 0 \
    --credentials-file "$WORK/data/admin-credentials" \
    >"$WORK/agent-$zone.out" 2>"$WORK/agent-$zone.log" &
  pids+=("$!")
done
until grep -q ready "$WORK/agent-a.out" 2>/dev/null && grep -q ready "$WORK/agent-b.out"; do
  sleep 0.1
done
echo "hosts=$HOSTS registered_in_s=$(echo "$(date +%s.%N) - $start" | bc)"

sleep 20  # let every host settle into its long poll
ticks() { awk '{print $14 + $15}' "/proc/$GANTRYD/stat"; }
before=$(ticks)
sleep 30
echo "idle: gantryd_threads=$(awk '/^Threads/{print $2}' /proc/$GANTRYD/status)" \
  "gantryd_rss_mib=$(($(awk '/^VmRSS/{print $2}' /proc/$GANTRYD/status) / 1024))" \
  "gantryd_cpu_s_per_30s=$(echo "scale=2; ($(ticks) - $before) / $(getconf CLK_TCK)" | bc)"

$G register-task-definition --cli-input-json '{"family":"storm","networkMode":"awsvpc",
  "requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512",
  "containerDefinitions":[{"name":"app","image":"nginx","essential":true}]}' >/dev/null
start=$(date +%s.%N)
callers=()
for ((i = 0; i < TASKS / 10; i++)); do
  $G run-task --task-definition storm --count 10 \
    --network-configuration "awsvpcConfiguration={subnets=[$SA,$SB]}" >/dev/null &
  callers+=("$!")
done
wait "${callers[@]}"
submitted=$(echo "$(date +%s.%N) - $start" | bc)
while true; do
  running=$($G --output json list-tasks | json 'len(d.get("taskArns", []))')
  arns=$($G --output json list-tasks | json '" ".join(d.get("taskArns", []))')
  n=0
  for chunk in $(echo "$arns" | xargs -n 100 | tr ' ' ','); do
    n=$((n + $($G --output json describe-tasks --tasks ${chunk//,/ } |
      json 'sum(1 for t in d["tasks"] if t["lastStatus"] == "RUNNING")')))
  done
  [ "$n" -ge "$TASKS" ] && break
  sleep 0.2
done
echo "tasks=$TASKS submitted_in_s=$submitted all_running_after_s=$(echo "$(date +%s.%N) - $start" | bc)" \
  "gantryd_threads=$(awk '/^Threads/{print $2}' /proc/$GANTRYD/status)" \
  "gantryd_rss_mib=$(($(awk '/^VmRSS/{print $2}' /proc/$GANTRYD/status) / 1024))"
