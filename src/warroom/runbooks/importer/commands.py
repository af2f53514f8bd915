"""Splitting shell code into commands (joining `\\` continuations, heredocs, quotes, loops)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KNOWN_COMMANDS = frozenset({
    "ab", "alertmanager", "alias", "amtool", "ansible", "ansible-playbook", "apachectl", "apk",
    "apt", "apt-get", "argocd", "awk", "aws", "az", "base64", "bash", "blkid", "brew", "bundle",
    "caddy", "cargo", "case", "cat", "cd", "certbot", "chmod", "choco", "chown", "chronyc",
    "compose", "composer", "conntrack", "consul", "consul-template", "cp", "cqlsh", "crictl",
    "ctr", "curl", "cut", "date", "df", "dig", "dmesg", "dnf", "do", "docker", "docker-compose",
    "doctl", "done", "dpkg", "du", "e2fsck", "eas", "echo", "egrep", "eksctl", "env", "envoy",
    "esac", "etcdctl", "ethtool", "exec", "export", "fdisk", "fi", "find", "fluentd", "fly",
    "flyctl", "for", "free", "fsck", "gcloud", "gh", "git", "glab", "go", "gradle", "grep",
    "grype", "gsutil", "gunicorn", "gunzip", "gzip", "haproxy", "head", "helm", "heroku",
    "hexdump", "hey", "host", "htop", "http", "httpie", "hub", "hwclock", "if", "ifconfig",
    "iostat", "iotop", "ip", "iptables", "ipvsadm", "istioctl", "java", "journalctl", "jq", "k6",
    "k9s", "kafka-consumer-groups", "kafka-topics", "kill", "killall", "kind", "kubeadm",
    "kubectl", "kubectx", "kubens", "kustomize", "less", "linkerd", "ln", "locust", "ls", "lsblk",
    "lscpu", "lsof", "lvs", "make", "md5sum", "mdadm", "minikube", "mkdir", "mongo", "mongodump",
    "mongosh", "more", "mount", "mpstat", "mtr", "mv", "mvn", "mysql", "mysqldump", "nc", "ncat",
    "nerdctl", "nethogs", "netlify", "netstat", "nft", "nginx", "node", "nodetool", "nohup",
    "nomad", "npm", "nproc", "npx", "nslookup", "ntpq", "oc", "open", "openssl", "packer",
    "parted", "pg_basebackup", "pg_ctl", "pg_dump", "pg_dumpall", "pg_isready", "pg_restore",
    "pgrep", "php", "ping", "pip", "pip3", "pkill", "pm2", "pnpm", "podman", "powershell",
    "printf", "prometheus", "promtool", "ps", "psql", "pulumi", "pvs", "pwd", "pwsh", "python",
    "python3", "rabbitmqctl", "read", "redis-cli", "rm", "rpm", "rsync", "ruby", "s3cmd", "sar",
    "scp", "sed", "service", "set", "sftp", "sh", "sha256sum", "sleep", "smartctl", "snap",
    "snyk", "sort", "source", "ss", "ssh", "start", "stern", "strace", "sudo", "supervisorctl",
    "sysctl", "systemctl", "tail", "tar", "tcpdump", "tee", "telnet", "terraform", "terragrunt",
    "test", "thanos", "then", "time", "timedatectl", "timeout", "top", "touch", "tr",
    "traceroute", "traefik", "trivy", "tune2fs", "ufw", "umount", "uniq", "unset", "until",
    "unzip", "uptime", "uwsgi", "vault", "vector", "vegeta", "velero", "vercel", "vgs", "vmstat",
    "watch", "wc", "wget", "while", "wrk", "xargs", "xdg-open", "xfs_repair", "xxd", "yarn", "yq",
    "yum", "zfs", "zgrep", "zip", "zpool", "zsh",
})
_SHELL_LANGS = frozenset({"bash", "sh", "shell", "zsh", "console", "shell-session", "terminal",
                          "ksh", "fish", "shellsession", "sh-session", "cmd", "bat", "ps",
                          "powershell", "ps1", "pwsh"})
_PROMPT = re.compile(r"^\s*(?:\$|%|#\s*\$|PS[^>]*>|[\w.@-]+[:~][^$#]*\$)\s+(?=\S)")
_DOLLAR_PROMPT = re.compile(r"^\s*\$\s+(?=\S)")
_OPENERS = {"if": "fi", "for": "done", "while": "done", "until": "done", "select": "done",
            "case": "esac", "{": "}"}
_CLOSERS = {"fi", "done", "esac", "}"}
_STATEFUL_FIRST = frozenset({"cd", "pushd", "popd", "export", "source", ".", "set", "alias",
                             "unset", "shopt", "ulimit", "umask", "trap", "declare", "local",
                             "readonly", "eval"})
_ASSIGN_ONLY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\+?=")


def is_shell_lang(lang: str) -> bool:
    return lang in _SHELL_LANGS


def first_word(command: str) -> str:
    words = command.strip().split()
    while words and (words[0] in ("sudo", "time", "nohup", "exec") or ("=" in words[0]
                     and _ASSIGN_ONLY.match(words[0]) and len(words) > 1)):
        words = words[1:]
    return words[0] if words else ""


def looks_like_command(text: str) -> bool:
    """Is this (inline code or a code line) a shell command rather than a name or a value?"""
    text = text.strip()
    text = _DOLLAR_PROMPT.sub("", text)
    if not text or text.startswith("#"):
        return False
    word = first_word(text)
    if word.startswith(("./", "../", "~/")) or (word.startswith("/") and word.count("/") > 1
                                                 and " " in text):
        return True
    if word.endswith((".sh", ".py")) and "/" in word:
        return True
    return word in KNOWN_COMMANDS and (" " in text or word in ("uptime", "df", "free", "top",
                                                               "dmesg", "ls", "env"))


def looks_like_shell(lines: list[str]) -> bool:
    """Does unlabelled code look like shell (mostly commands or `$ ` prompts)?"""
    code = [ln for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    if not code:
        return False
    if any(_DOLLAR_PROMPT.match(ln) for ln in code):
        return True
    hits = sum(1 for ln in code if looks_like_command(ln))
    return hits >= max(1, (len(code) + 1) // 2)


@dataclass
class Command:
    text: str
    first_line: int
    last_line: int

    @property
    def stateful(self) -> bool:
        """Does it change shell state later commands rely on (cd, export, VAR=, `&`)?"""
        stripped = self.text.strip()
        words = stripped.split()
        if not words:
            return False
        if words[0] in _STATEFUL_FIRST:
            return True
        if _ASSIGN_ONLY.match(words[0]) and len(words) == 1:
            return True
        if _ASSIGN_ONLY.match(stripped) and not re.search(r"\s[a-z]", stripped.split("\n")[0]
                                                           .split("=", 1)[1].split('"')[0]):
            return True
        return bool(re.search(r"(?<![&>])&\s*$", stripped))


@dataclass
class Group:
    """Commands under one run of comment lines; the first comment titles them."""

    comments: list[tuple[int, str]] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    trailing: list[tuple[int, str]] = field(default_factory=list)  # comments right after


@dataclass
class ShellSplit:
    groups: list[Group]
    remarks: list[list[tuple[int, str]]]      # runs of comments with no command under them
    output_lines: list[tuple[int, str]]       # lines shown as output after `$ ` prompts
    shebang: tuple[int, str] | None = None


class _Scanner:
    """Tracks whether a growing piece of shell text is a complete command yet."""

    def __init__(self) -> None:
        self.stack: list[str] = []  # open contexts: ' " ` (
        self.compound: list[str] = []
        self.heredocs: list[tuple[str, bool]] = []
        self.in_body = False
        self.continued = False

    def feed(self, line: str) -> None:
        if self.in_body:
            delim, strip = self.heredocs[0]
            if (line.lstrip("\t") if strip else line).strip() == delim:
                self.heredocs.pop(0)
                self.in_body = bool(self.heredocs)
            return
        self._lex(line)
        if self.heredocs and not self.stack:
            self.in_body = True

    def _lex(self, line: str) -> None:
        i, n = 0, len(line)
        command_position = not self.continued
        self.continued = False
        while i < n:
            c = line[i]
            top = self.stack[-1] if self.stack else ""
            if top == "'":
                if c == "'":
                    self.stack.pop()
                i += 1
                continue
            if c == "\\":
                if i == n - 1:
                    self.continued = True
                i += 2
                continue
            if top in ('"', "`"):
                if c == top:
                    self.stack.pop()
                elif line.startswith("$(", i):
                    self.stack.append("(")
                    i += 1
                elif c == "`":
                    self.stack.append("`")
                i += 1
                continue
            if c in "'\"`":
                self.stack.append(c)
            elif c == "#" and (i == 0 or line[i - 1] in " \t;&|("):
                break
            elif line.startswith("$(", i):
                self.stack.append("(")
                i += 1
            elif c == "(":
                self.stack.append("(")
            elif c == ")":
                if top == "(":
                    self.stack.pop()
            elif line.startswith("<<", i) and not line.startswith("<<<", i):
                m = re.match(r"<<(-?)\s*(['\"]?)([A-Za-z_][\w.-]*)\2", line[i:])
                if m:
                    self.heredocs.append((m.group(3), m.group(1) == "-"))
                    i += m.end()
                    continue
            elif c in ";&|":
                command_position = True
                i += 1
                continue
            elif not c.isspace():
                m = re.match(r"[^\s;&|()<>'\"`\\]+", line[i:])
                word = m.group(0) if m else c
                if command_position and not self.stack:
                    if word in _OPENERS:
                        self.compound.append(_OPENERS[word])
                    elif word in _CLOSERS and self.compound and self.compound[-1] == word:
                        self.compound.pop()
                command_position = word in ("then", "do", "else", "elif", "{", "in") or (
                    command_position and word in ("!", "time", "sudo"))
                i += len(word)
                continue
            i += 1
        if not self.stack:
            tail = re.sub(r"\s#.*$", "", line).rstrip()
            if tail.endswith(("|", "&&", "||")):
                self.continued = True

    def complete(self) -> bool:
        return not (self.stack or self.compound or self.heredocs or self.continued)


def split_shell(lines: list[tuple[int, str]]) -> ShellSplit:
    """Group shell lines into commands; comments title the commands that follow them."""
    prompted = any(_DOLLAR_PROMPT.match(text) for _, text in lines)
    split = ShellSplit(groups=[], remarks=[], output_lines=[])
    group = Group()
    unit: list[tuple[int, str]] = []
    scanner = _Scanner()

    def close_group() -> None:
        nonlocal group
        if group.commands:
            split.groups.append(group)
        elif group.comments:
            last = split.groups[-1] if split.groups else None
            if last and not last.trailing and last.commands[-1].last_line + 1 == \
                    group.comments[0][0]:
                last.trailing = group.comments
            else:
                split.remarks.append(group.comments)
        group = Group()

    def add_comment(number: int, stripped: str) -> None:
        if group.commands:
            close_group()
        group.comments.append((number, stripped.lstrip("#").strip()))

    for number, raw in lines:
        if unit:
            unit.append((number, raw))
            scanner.feed(raw)
            if scanner.complete():
                group.commands.append(Command("\n".join(t for _, t in unit), unit[0][0],
                                              number))
                unit = []
            continue
        stripped = raw.strip()
        if not stripped:
            close_group()
            continue
        if stripped.startswith("#!") and split.shebang is None and not split.groups \
                and not group.commands and not group.comments:
            split.shebang = (number, raw)
            continue
        if prompted:
            m = _DOLLAR_PROMPT.match(raw)
            if not m:
                if stripped.startswith("#"):
                    add_comment(number, stripped)
                else:
                    split.output_lines.append((number, raw))
                continue
            raw = raw[m.end():]
        elif stripped.startswith("#"):
            add_comment(number, stripped)
            continue
        scanner = _Scanner()
        scanner.feed(raw)
        unit = [(number, raw)]
        if scanner.complete():
            group.commands.append(Command(raw, number, number))
            unit = []
    if unit:  # an unterminated construct: keep what there is as one command
        group.commands.append(Command("\n".join(t for _, t in unit), unit[0][0], unit[-1][0]))
    close_group()
    return split
