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
    "traceroute", "traefik", "trivy", "truncate", "shred", "growpart", "resize2fs", "chattr",
    "logrotate", "mongorestore", "sentry", "kubeseal", "sops", "tune2fs", "ufw", "umount",
    "uniq", "unset", "until",
    "unzip", "uptime", "uwsgi", "vault", "vector", "vegeta", "velero", "vercel", "vgs", "vmstat",
    "watch", "wc", "wget", "while", "wrk", "xargs", "xdg-open", "xfs_repair", "xxd", "yarn", "yq",
    "yum", "zfs", "zgrep", "zip", "zpool", "zsh",
})
_SHELL_LANGS = frozenset({"bash", "sh", "shell", "zsh", "console", "shell-session", "terminal",
                          "ksh", "fish", "shellsession", "sh-session", "cmd", "bat", "ps",
                          "powershell", "ps1", "pwsh"})
_PROMPT = re.compile(r"^\s*(?:\$|%|#\s*\$|PS[^>]*>|[\w.@-]+[:~][^$#]*\$)\s+(?=\S)")
_DOLLAR_PROMPT = re.compile(r"^\s*(?:\$|PS [^>\n]{0,80}>|[A-Z]:\\[^>\n]{0,80}>)\s+(?=\S)")
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
    if " " in text and (re.fullmatch(r"[a-z][\w-]*ctl", word) or text.startswith("sudo ")):
        return True        # gitlab-ctl, supervisorctl, `sudo anything`
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


# Prompts of a shell opened by an earlier command (`sh-5.1# `, `root@node:/# `,
# `[core@host ~]$ `, `bash-4.2$ `, `postgres=# `, `mysql> `): what follows is typed there.
_SESSION_PROMPT = re.compile(
    r"^\s*(?:(?:ba|z|k)?sh-\d[\d.]*[#$]|[\w.-]+@[\w.-]+(?::[^\s#$]*)?\s?[#$]|"
    r"\[[\w.-]+@[^\]]+\][#$]|[\w-]+=[#>]|(?:mysql|redis[\w.:-]*|mongo|cqlsh|"
    r"sqlite|ftp|>>)>|/ ?#)\s*(?=\S|$)")
_TREE = re.compile(r"[├└│┬┼─]|^\s*\|--|^\s*`--")
_LOG_LINE = re.compile(
    r"^\s*(\d{4}-\d\d-\d\d[T ]\d|\d{4}/\d\d/\d\d|[A-Z][a-z]{2} [ \d]\d \d\d:|"
    r"\[?\d\d:\d\d:\d\d|[IWEF]\d{4} \d|\[(INFO|WARN\w*|ERROR|DEBUG|TRACE|FATAL|NOTICE)\]|"
    r"(INFO|WARN|WARNING|ERROR|DEBUG|TRACE|FATAL|CRITICAL|NOTICE|panic|goroutine)\b[:\s]|"
    r"(level|ts|time|msg)=|\{\s*\"(level|ts|time|msg|timestamp)\")")
_YAML_LINE = re.compile(r"^\s*(-\s+)?[A-Za-z_][\w.-]*:(\s|$)|^\s*-\s+[\w\"'./-]+\s*$|"
                        r"^\s*---\s*$")
_JSON_LINE = re.compile(r"^\s*([\[\]{}],?|\"[^\"]+\"\s*:.*)$")
_TABLE_HEAD = re.compile(r"^\s*[A-Z][A-Z_-]+(\s{2,}[A-Z][A-Z_()%-]*(\s[A-Z]+)?)+\s*$")
_SESSION_END = frozenset({"exit", "logout", "quit", "\\q", "exit;", "quit;"})
_SHELLS = r"(/bin/|/usr/bin/)?(ba|z|a|k|fi)?sh"
_CLIENTS = (r"(psql|mysql|mariadb|mongo|mongosh|cqlsh|sqlite3|([\w-]+-)?rails\s+c\w*|"
            r"[\w-]+-rake\s+console|rails\s+dbconsole)")
_OPENS_SESSION = (
    re.compile(rf"\s--\s+({_SHELLS}|{_CLIENTS})(\s+-[il]+)?\s*$"),    # exec -it pod -- bash
    re.compile(r"^\s*(sudo\s+)?(oc|kubectl)\s+(\S+\s+)*debug\b(?!.*\s--\s)"),

    re.compile(r"^\s*(sudo\s+)?(chroot\s+\S+|nsenter\b[^|]*|toolbox|su(\s+-)?(\s+\w+)?|"
               rf"sudo\s+(-[is]|su\b)[^|]*|{_SHELLS})\s*$"),
    re.compile(r"^\s*ssh\s+(-\w+\s+(\S+\s+)?)*([\w.@:{}-]|<[^<>]*>|\$\{?\w+\}?)+\s*$"),
    re.compile(rf"^\s*(sudo\s+(-u\s+\S+\s+)?)?{_CLIENTS}\b(?!.*(\s-[cef]\b|--command|"
               r"--eval|<|\|))"),
    re.compile(r"^\s*(sudo\s+)?(redis-cli(\s+-\w+(\s+[^-\s]\S*)?)*|python3?|irb|node|"
               r"bash|sh)\s*$"),
)


def session_prompt(line: str) -> re.Match[str] | None:
    """The prompt of a nested shell at the start of `line` (`sh-5.1# chroot /host`)."""
    return _SESSION_PROMPT.match(line)


def opens_session(command: str) -> bool:
    """Does the command open an interactive shell or client the next lines are typed into?"""
    if any(p.search(command) for p in _OPENS_SESSION):
        return True
    m = re.match(r"^\s*(sudo\s+)?oc\s+(.*?\s)?rsh\s+(.*)$", command)
    if not m:
        return False
    rest = re.sub(r"\$\([^()]*(\([^()]*\)[^()]*)*\)", "POD", m.group(3)).split()
    args, skip = [], False
    for word in rest:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in ("-c", "-n", "--container", "--namespace", "--shell")
        else:
            args.append(word)
    return len(args) <= 1        # `oc rsh POD` opens a shell; `oc rsh POD cmd` runs one


def output_shape(line: str, *, console: bool = False) -> str | None:
    """What kind of output a line is (tree, log line, YAML, JSON, table, session end), or None
    when it may be a command. In console blocks anything that is not a known command counts."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    if stripped in _SESSION_END:
        return "end of an interactive session"
    if _TREE.search(stripped) and not re.search(r"\s\|\s*\w", stripped.replace("│", "")):
        return "tree diagram"
    word = first_word(stripped)
    known = word in KNOWN_COMMANDS or word.startswith(("./", "/", "~/", "../")) or \
        "=" in stripped.split()[0]
    if _LOG_LINE.match(stripped) and not known:
        return "log line"
    if _TABLE_HEAD.match(stripped) and not known:
        return "table output"
    if _JSON_LINE.match(stripped):
        return "JSON"
    if _YAML_LINE.match(stripped) and not known and not re.search(r"[|;&`$]", stripped):
        return "YAML"
    if console and not known and not looks_like_command(stripped):
        return "console output"
    return None


@dataclass
class Command:
    text: str
    first_line: int
    last_line: int
    output: list[tuple[int, str]] = field(default_factory=list)   # expected output after it
    session: list[tuple[int, str]] = field(default_factory=list)  # typed in the shell it opens

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
    output_lines: list[tuple[int, str]]       # output lines with no command before them
    shebang: tuple[int, str] | None = None
    kinds: dict[int, str] = field(default_factory=dict)   # output line -> what it looks like


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
                if not line[i + 1:].strip():   # `\` then only spaces: still a continuation
                    self.continued = True
                    break
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


def _join(unit: list[tuple[int, str]]) -> str:
    """The command text of continued lines; spaces after a final `\\` are dropped, because
    `\\ ` then a newline would end the command in bash."""
    return "\n".join(re.sub(r"\\[ \t]+$", "\\\\", t) for _, t in unit)


def split_shell(lines: list[tuple[int, str]], *, console: bool = False) -> ShellSplit:
    """Group shell lines into commands; comments title the commands that follow them.

    Output is told from commands by `$ ` prompts, nested-shell prompts (`sh-5.1# `), tree
    drawing, log, YAML, JSON and table shapes, and (in `console` blocks) by not being a known
    command; it is attached to the command before it.
    """
    first = next((t for _, t in lines if t.strip() and not t.strip().startswith("#")), "")
    opening = session_prompt(first)
    prompted = any(_DOLLAR_PROMPT.match(text) for _, text in lines) or bool(
        opening and "@" in opening.group(0))     # a transcript of the reader's own shell
    split = ShellSplit(groups=[], remarks=[], output_lines=[])
    group = Group()
    unit: list[tuple[int, str]] = []
    scanner = _Scanner()
    made: list[Command] = []
    closed: set[int] = set()     # ids of commands whose session an `exit` has ended
    in_session = False

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

    def add_command(command: Command) -> None:
        group.commands.append(command)
        made.append(command)

    def attach(number: int, raw: str, kind: str, *, session: bool = False) -> None:
        split.kinds[number] = kind
        if not made:
            split.output_lines.append((number, raw))
        elif session:
            made[-1].session.append((number, raw))
        else:
            made[-1].output.append((number, raw))

    def unclosed_opener() -> int | None:
        return next((i for i in range(len(made) - 1, -1, -1)
                     if id(made[i]) not in closed and
                     (opens_session(made[i].text) or made[i].session)), None)

    def move_into(opener: int) -> Command:
        """The commands after `made[opener]` were typed in the session it opened."""
        host = made[opener]
        closed.add(id(host))
        for moved in made[opener + 1:]:
            host.session = sorted(host.session + _numbered(moved) + moved.output
                                  + moved.session)
            for g in [*split.groups, group]:
                if moved in g.commands:
                    g.commands.remove(moved)
        del made[opener + 1:]
        return host

    def end_session(number: int, raw: str) -> None:
        """`exit`: the commands since the last one that opened a shell were typed in it."""
        opener = unclosed_opener()
        if opener is None:
            attach(number, raw, "end of an interactive session")
            return
        split.kinds[number] = "end of an interactive session"
        move_into(opener).session.append((number, raw))

    for number, raw in lines:
        if unit:
            unit.append((number, raw))
            scanner.feed(raw)
            if scanner.complete():
                add_command(Command(_join(unit), unit[0][0], number))
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
        nested = session_prompt(raw)
        if nested and not _DOLLAR_PROMPT.match(raw):
            # `user@host:~$ ` / `[root@db ~]# ` is the reader's own shell unless a command
            # before it opened a session; `sh-5.1# ` is always a shell something opened
            local = "@" in nested.group(0) and not in_session and \
                not (made and (opens_session(made[-1].text) or made[-1].session))
            if not local:
                in_session = True
                attach(number, raw, "typed in an interactive session", session=True)
                if stripped[nested.end() - (len(raw) - len(raw.lstrip())):].strip() in \
                        _SESSION_END:
                    in_session = False
                continue
            raw = raw[nested.end():]
        elif in_session and not _DOLLAR_PROMPT.match(raw):
            attach(number, raw, "output in an interactive session", session=True)
            continue
        in_session = False
        if prompted and not nested:
            m = _DOLLAR_PROMPT.match(raw)
            if not m:
                if stripped.startswith("#") and not (made and made[-1].output):
                    add_comment(number, stripped)
                elif stripped in _SESSION_END:
                    end_session(number, raw)
                else:
                    attach(number, raw, output_shape(raw, console=True) or "sample output")
                continue
            raw = raw[m.end():]
            if raw.strip() in _SESSION_END:
                end_session(number, raw)
                continue
        elif stripped.startswith("#") and not nested:
            add_comment(number, stripped)
            continue
        elif not nested:
            kind = output_shape(raw, console=console) or _continued_output(
                raw, number, split.kinds, lines)
            if kind == "end of an interactive session":
                end_session(number, raw)
                continue
            if kind:
                attach(number, raw, kind)
                continue
        scanner = _Scanner()
        scanner.feed(raw)
        unit = [(number, raw)]
        if scanner.complete():
            add_command(Command(raw, number, number))
            unit = []
    if unit:  # an unterminated construct: keep what there is as one command
        add_command(Command(_join(unit), unit[0][0], unit[-1][0]))
    while not prompted:       # no `exit`: what follows a shell it opens is typed in it
        opener = next((i for i in range(len(made) - 2, -1, -1) if id(made[i]) not in closed
                       and opens_session(made[i].text)), None)
        if opener is None:
            break
        move_into(opener)
    close_group()
    split.groups = [g for g in split.groups if g.commands]
    return split


def _continued_output(raw: str, number: int, kinds: dict[int, str],
                      lines: list[tuple[int, str]]) -> str | None:
    """A line that is not a command, right after output or right before a tree diagram."""
    if looks_like_command(raw) or first_word(raw) in KNOWN_COMMANDS:
        return None
    if number - 1 in kinds and kinds[number - 1] != "end of an interactive session":
        return kinds[number - 1]
    following = next((t for n, t in lines if n == number + 1), "")
    if _TREE.search(following):
        return "tree diagram"
    return None


def command_starts(command: str) -> list[str]:
    """The lines of a command text where a new command starts (not inside quotes, heredocs
    or continuations)."""
    scanner = _Scanner()
    out: list[str] = []
    for line in command.split("\n"):
        if scanner.complete():
            out.append(line)
        scanner.feed(line)
    return out


def _numbered(command: Command) -> list[tuple[int, str]]:
    texts = command.text.split("\n")
    return [(command.first_line + i, t) for i, t in enumerate(texts)]
