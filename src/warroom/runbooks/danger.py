"""Recognising commands that destroy data or cut off service, read-only commands, and prose
(comments, headings, sentences) that marks a step risky.

One place holds this knowledge: the importer flags steps with it and the linter checks
hand-written runbooks with it.
"""

from __future__ import annotations

import re
import shlex

# (pattern, why) — matched case-insensitively against a whole command or snippet.
_DANGEROUS: tuple[tuple[str, str], ...] = (
    (r"\brm\s+(-\w*\s+)*-\w*[rR]\w*", "rm -r deletes files recursively"),
    (r"\brm\s+(-\w*\s+)*-\w*f\w*", "rm -f deletes files without asking"),
    (r"-exec(dir)?\s+(sudo\s+)?(rm|shred|unlink|truncate)\b|\bfind\b.*\s-delete\b",
     "find deletes every file it matches"),
    (r"\bxargs\s+(-\S+\s+)*(sudo\s+)?rm\b", "deletes every file piped in"),
    (r"\bdelete\b", "deletes resources"),
    (r"\b(uninstall|destroy|purge|prune|wipe|erase)\b", "removes resources"),
    (r"\bterminate[-_]\w+", "terminates cloud resources"),
    (r"\brevoke[-_]\w+|\brevoke\b", "revokes access"),
    (r"\bderegister[-_]\w+|\bdetach[-_](volume|policy|role)\b", "detaches cloud resources"),
    (r"\bflush(db|all)\b", "wipes a Redis database"),
    (r"redis-cli\b.*\b(del|unlink)\b", "deletes Redis keys"),
    (r"\bdrop\s+(table|database|schema|index|user|role|view|keyspace)\b",
     "drops database objects"),
    (r"\btruncate\b", "empties tables or files"),
    (r"--replicas[= ]0\b|\s--(desired-capacity|min-size|max-size|num-nodes|size|count|"
     r"min-count|max-count|instances)[= ]0\b|\bscale\b.*\s0\s*$|\bset-desired-capacity\b.*\s0\b",
     "scales a workload to zero"),
    (r"\bpg_(terminate|cancel)_backend\b", "kills database sessions"),
    (r"\bufw\s+(deny|reject|disable|reset)\b", "blocks network traffic"),
    (r"\biptables\b.*(-j\s+(drop|reject)|\s-[FX]\b|--flush)", "blocks or flushes firewall rules"),
    (r"\bkill\s+-(9|kill|sigkill)\b", "force-kills processes"),
    (r"\b(pkill|killall)\b", "kills processes by name"),
    (r"\b(shutdown|reboot|poweroff|halt)\b", "stops or restarts a machine"),
    (r"\bmkfs(\.\w+)?\b", "formats a filesystem"),
    (r"\bdd\b.*\bof=", "overwrites a device or file"),
    (r"\bkubectl\b.*\b(drain|cordon|taint)\b", "takes nodes out of service"),
    (r"\bdrain\b", "drains traffic or work away from a node"),
    (r"\bgit\s+push\b.*(--force|\s-f\b)", "rewrites remote history"),
    (r"\bgit\s+reset\s+--hard\b", "discards local changes"),
    (r"\bsystemctl\s+(stop|disable|mask|kill)\b|\bservice\s+\S+\s+stop\b",
     "stops a service"),
    (r"\brotate[-_]?(secret|credential|key|token|password|cert|access)\w*|"
     r"\b(rotate|regenerate)\b.*\b(secret|credential|keys?|token|password|cert\w*)\b|"
     r"\bregenerate[-_]\w*key", "rotates credentials"),
    (r"\bmigrate:rollback\b|\bmigrat\w*\s+(down|rollback)\b", "rolls back a database schema"),
    (r"\brestore\b|\bpg_restore\b|\bmongorestore\b", "overwrites data from a backup"),
    (r"\b(psql|mysql|mariadb|sqlite3|mongo|mongosh|cqlsh|redis-cli)\b[^|<]*<(?!<)\s*\S",
     "replays a file into a database, overwriting data"),
    (r"\b(kubectl|oc)\s+(\S+\s+)*(apply|replace|create)\b.*\s(-f|--filename)[= ]?\s*\S*"
     r"(backup|bak|snapshot|dump|old|previous|saved)", "re-applies a backup over live objects"),
    (r"\bkubectl\s+(\S+\s+)*replace\b.*--force", "deletes and recreates live objects"),
    (r">\s*/(etc|var/lib|usr)/\S+", "overwrites a system file"),
    (r"--reset-offsets\b", "moves consumer offsets, skipping or replaying messages"),
    (r"\bupdate-(access-key|login-profile|signing-certificate)\b.*--status\s+inactive|"
     r"\bdeactivate[-_]\w+|\bdisable[-_](user|key|account|login|mfa|service|access)\w*|"
     r"\bput-user-policy\b.*deny|\bdelete-login-profile\b", "cuts off access"),
    (r"\b(docker|podman|crictl|nerdctl|ctr)\s+(\S+\s+)*(rm|rmi)\b|\b(s3|gsutil|etcdctl)\s+"
     r"(\S+\s+)*(rm|del)\b", "removes containers, images, objects or keys"),
    (r"\b(lvremove|vgremove|pvremove|wipefs|sgdisk|ifdown)\b|\bip\s+link\s+set\b.*\bdown\b|"
     r"\bnft\s+flush\b", "removes volumes or takes an interface down"),
    (r"\bterraform\s+(\S+\s+)*(apply\s+(\S+\s+)*-destroy|state\s+rm|taint)\b",
     "destroys or forgets infrastructure"),
    (r"(?-i:\b(Remove|Clear|Disable|Uninstall|Stop|Reset|Revoke|Format|Dismount|Suspend)-"
     r"[A-Z]\w+|\bRestart-Computer\b)", "PowerShell cmdlet that removes, stops or resets"),
)
_PATTERNS = tuple((re.compile(p, re.IGNORECASE), why) for p, why in _DANGEROUS)

_MARKERS = re.compile(
    r"\[!(warning|caution|danger)\]|^\W*(warning|caution|danger)\b\W*[:!]|!!!\s*(danger|warning)|"
    r"last\s+resort|requires?\s+(\w+\s+)?approval|approval\s+required|high[\s-]risk|"
    r"\bdanger(ous)?\b|⚠|☢|🛑|destructive|irreversible|use\s+with\s+(extreme\s+)?caution|"
    r"\bcaution\b|(risk\s+of|may|might|can|will|could)\s+(cause\s+)?(permanent\s+)?data\s+loss|"
    r"data\s+loss\s+risk|cannot\s+be\s+undone|can'?t\s+be\s+undone|point\s+of\s+no\s+return",
    re.IGNORECASE)
# A document-level notice ("⚠️ Disclaimer: this playbook is a template") is not a risk marker.
_DISCLAIMER = re.compile(r"disclaimer|\btemplate\b|for reference only|example only|"
                         r"no warrant|provided as[- ]is|adapt (it|this)|customi[sz]e", re.I)
# Actions named in prose (a comment above a command, a heading, a sentence) that destroy
# data or cut off service.
_PROSE_DANGER = re.compile(
    r"\brestor(e|ing)\b.{0,40}\b(from|backup|snapshot|dump)|\b(from|using)\s+(the\s+)?"
    r"(last\s+)?(backup|snapshot)\b.{0,20}\brestor|\boverwrit\w*|\bwip(e|ing)\b|"
    r"\b(delete|deleting|remove|removing|purge|purging|drop|dropping|destroy\w*|erase)\s+"
    r"(all|the|every|old|stale|orphan\w*|files?|data|tables?|databases?|volumes?|"
    r"buckets?|keys?|queues?|indices|index|pods?|nodes?|namespaces?|users?|records?|rows?)\b|"
    r"\btruncat\w+|\bdrain(ing)?\s+(the\s+)?(node|host|traffic|instance)|"
    r"\b(rotat\w+|revok\w+|regenerat\w+|reset)\s+(the\s+|all\s+|any\s+)?(compromised\s+|"
    r"leaked\s+|exposed\s+)?(secret|credential|key|token|password|certificate|access)\w*|"
    r"\bterminat\w+\s+(the\s+|all\s+)?(instance|vm|node|server|cluster)\w*|"
    r"\bscal(e|ing)\s+(\w+\s+){0,3}(to|down to)\s+(zero|0)\b|"
    r"(^\W*|\b(or|then|and)\s+)(fail\s?over|switch\s?over)\s+to\b|"
    r"\bshut(ting)?\s+down\b|\bstop\s+(the\s+)?(database|service|cluster|server)\b|"
    r"\bkill\s+(all\s+)?(sessions|connections|queries|processes)\b|\bforce[- ]push\b",
    re.IGNORECASE)

# Read-only commands: looking, never changing. They never need approval.
_READ_VERBS = frozenset({
    "get", "describe", "list", "ls", "logs", "log", "show", "status", "top", "view", "inspect",
    "explain", "version", "info", "cat", "head", "tail", "events", "history", "diff", "check",
    "health", "api-resources", "cluster-info", "whoami", "can-i", "lookup", "search", "query",
    "stats", "ps", "images", "read", "print", "dump-config", "validate", "lint", "verify",
    "auth", "config", "current-context", "get-contexts", "display", "watch", "find", "exists",
})
_READ_PROGRAMS = frozenset({
    "cat", "less", "more", "head", "tail", "grep", "egrep", "zgrep", "ls", "df", "du", "free",
    "uptime", "top", "htop", "ps", "pgrep", "vmstat", "iostat", "mpstat", "sar", "netstat",
    "ss", "lsof", "dig", "nslookup", "host", "ping", "traceroute", "mtr", "curl", "wget",
    "jq", "yq", "wc", "sort", "uniq", "cut", "awk", "date", "env", "printenv", "id", "whoami",
    "hostname", "uname", "lsblk", "blkid", "dmesg", "journalctl", "stat", "file", "which",
    "echo", "printf", "nproc", "lscpu", "pwd", "tree", "openssl", "pg_isready", "promtool",
    "amtool", "stern", "iotop", "nethogs", "ethtool", "ip", "ifconfig", "time",
    "timedatectl", "ntpq", "chronyc", "md5sum", "sha256sum", "xxd", "hexdump", "test",
})
_SUBCOMMANDS = frozenset({"kubectl", "oc", "helm", "docker", "podman", "crictl", "aws", "gcloud",
                          "az", "doctl", "systemctl", "git", "vault", "consul", "nomad",
                          "etcdctl", "argocd", "flux", "velero", "istioctl", "linkerd",
                          "terraform", "gh", "heroku", "flyctl", "eksctl", "kubeadm",
                          "rabbitmqctl", "nodetool", "redis-cli", "sentry", "service"})
# CLIs whose verb comes after one or more nouns (`aws ec2 describe-instances`,
# `gcloud sql instances describe`, `vault kv get`, `service nginx status`).
_NOUN_FIRST = frozenset({"aws", "gcloud", "az", "doctl", "vault", "consul", "nomad", "etcdctl",
                         "velero", "argocd", "flux", "gh", "heroku", "flyctl", "eksctl",
                         "service", "istioctl", "linkerd", "kubeadm", "sentry", "rabbitmqctl",
                         "nodetool"})
_VALUE_FLAGS = frozenset({"-n", "--namespace", "--context", "--kubeconfig", "--cluster",
                          "--region", "--profile", "--project", "-h", "-p", "-a", "--host",
                          "--port", "--zone", "--resource-group", "-g", "--address", "-s",
                          "--server", "--user", "-u"})
_WRITING = re.compile(r"(?<![<>&0-9])>(?!&)|\btee\b|\s-X\s*(POST|PUT|PATCH|DELETE)|"
                      r"--request\s+(POST|PUT|PATCH|DELETE)|\s-d\s|--data\b|\bsed\s+-i\b|"
                      r"\bexec\b.*\s--\s|\bkubectl\b.*\bdebug\b", re.I)


def dangerous_reason(command: str) -> str | None:
    """Why `command` is dangerous, or None. Comment text after `#` is ignored."""
    code = "\n".join(_strip_comment(line) for line in command.splitlines())
    for pattern, why in _PATTERNS:
        if pattern.search(code):
            return why
    return None


def risk_marker(text: str) -> str | None:
    """The risk marker in prose (LAST RESORT, REQUIRES APPROVAL, High Risk, ⚠️, ...), or None.

    A disclaimer ("⚠️ Disclaimer: this playbook is a template") is not one.
    """
    m = _MARKERS.search(text)
    if not m or _DISCLAIMER.search(text):
        return None
    return m.group(0)


def prose_danger(text: str) -> str | None:
    """The destructive action a comment, heading or sentence names ("Restore from backup",
    "Delete old indices", "Rotate the leaked credentials"), or None."""
    if _DISCLAIMER.search(text) and not re.search(r"\brestor|\bdelet|\bwip", text, re.I):
        return None
    m = _PROSE_DANGER.search(text)
    return m.group(0).strip() if m else None


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return line.split()


def is_read_only(command: str) -> bool:
    """Does `command` only look (get, describe, list, logs, cat, grep, ...) and change nothing?

    Every part of a pipeline or `&&` chain must be read-only, and nothing is written to a
    file or sent with a method that changes state.
    """
    code = "\n".join(_strip_comment(line) for line in command.splitlines()).strip()
    code = re.sub(r"<[A-Za-z][\w .-]*>", "PLACEHOLDER", code)   # `<pod name>` is no redirection
    if not code or dangerous_reason(code) or _WRITING.search(re.sub(r"2>&1|>\s*/dev/null|"
                                                                    r"2>\s*/dev/null", "", code)):
        return False
    parts = [p for p in re.split(r"\|\|?|&&|;|\n", code) if p.strip()]
    return bool(parts) and all(_part_read_only(p) for p in parts)


def _part_read_only(part: str) -> bool:
    words = _words(part.strip().strip("()"))
    while words and (words[0] in ("sudo", "time", "watch", "timeout", "nice") or
                     re.match(r"^[A-Za-z_]\w*=", words[0]) or
                     (words[0].startswith("-") and len(words) > 1) or
                     re.fullmatch(r"\d+[smh]?", words[0])):
        words = words[1:]
    if not words:
        return False
    program = words[0].rsplit("/", 1)[-1]
    if re.match(r"(?-i:(Get|Test|Select|Measure|Where|Sort|Format-(Table|List)|Out-String|"
                r"Write-Output|Resolve-DnsName|Find)-?)", program):
        return True      # PowerShell cmdlets that only read
    if program in _SUBCOMMANDS:
        verbs: list[str] = []
        skip = False
        for word in words[1:]:
            if skip:
                skip = False
            elif word.startswith("-"):
                skip = "=" not in word and word in _VALUE_FLAGS
            else:
                verbs.append(word.lower())
        if verbs and verbs[0] in ("rollout", "config", "auth", "certificate"):
            verbs = verbs[1:]   # kubectl rollout status, kubectl auth can-i
        verbs = verbs[:4] if program in _NOUN_FIRST else verbs[:1]
        return any(v in _READ_VERBS or re.match(r"^(describe|get|list|show|lookup|search|filter|"
                                                 r"head|batch-get|simulate)-", v)
                   for v in verbs)
    return program in _READ_PROGRAMS


def _strip_comment(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith("#"):
        return ""
    m = re.search(r"\s#\s", line)
    return line[:m.start()] if m and "'" not in line and '"' not in line else line
