"""``relay-client shell``: sign in once, then give the command-line client's commands at a
prompt.

    $ relay-client --username demo-facilitator shell
    Password:
    Code from your authenticator app (or a backup code): 123456
    relay> queue RJ-DEMO-0001
    relay> forward 3f2a --edit "Did you know we were home?"
    relay> quit

Every command is the one ``relay-client COMMAND`` runs (relay_client/cli.py), in the same
signed-in session, so staff give their password and code once per shell. A mistyped
command or a refused request is reported and the prompt comes back. Line editing and
history come from readline in a terminal; the history stays in memory, because what is typed
here includes message text: nothing is written to disk.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from contextlib import redirect_stdout
from typing import NoReturn, TextIO

from websockets.exceptions import ConnectionClosed

from relay_client.cli import FAILURES, UsageProblem, add_commands, explain, run_command
from relay_client.client import RelayApiError, RelayClient

PROMPT = "relay> "
LEAVE = ("quit", "exit")
# The server no longer knows this session: further commands cannot succeed.
SESSION_ENDED_CODES = ("not_signed_in", "second_factor_required")
SESSION_ENDED_CLOSES = (4001, 4002, 4401, 4403)


class HelpShown(Exception):
    """``COMMAND --help`` printed its text; nothing to run."""


class CommandParser(argparse.ArgumentParser):
    """Reports a mistyped command instead of ending the shell."""

    def error(self, message: str) -> NoReturn:
        raise UsageProblem(f"{message} (type 'help' for the commands)")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if status:
            raise UsageProblem((message or "").strip())
        raise HelpShown


def command_parser() -> CommandParser:
    parser = CommandParser(
        prog="relay>",
        usage="COMMAND [ARGUMENTS]",
        add_help=False,
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=CommandParser,
        prog=PROMPT.strip(),
    )
    add_commands(sub)
    return parser


def session_ended(exc: Exception) -> bool:
    if isinstance(exc, RelayApiError):
        return exc.code in SESSION_ENDED_CODES
    if isinstance(exc, ConnectionClosed) and exc.rcvd is not None:
        return exc.rcvd.code in SESSION_ENDED_CLOSES
    return False


def _enable_line_editing() -> None:
    """Arrow keys and history for input(); the history is never saved."""
    try:
        import readline  # noqa: F401 - importing it is what turns it on
    except ImportError:  # not every Python has it; the shell works without
        pass


def _read_line(stdin: TextIO, interactive: bool) -> str:
    if interactive:
        return input(PROMPT)
    line = stdin.readline()
    if not line:
        raise EOFError
    return line


def _help(parser: CommandParser, words: list[str], out: TextIO) -> None:
    commands = _commands(parser)
    if len(words) > 1 and words[1] in commands:
        out.write(commands[words[1]].format_help())
        return
    out.write("Commands (type them as you would after 'relay-client'):\n")
    for name, command in commands.items():
        out.write(f"  {name:<9} {command.description}\n")
    out.write("  help      'help COMMAND' explains one command\n")
    out.write("  quit      leave the shell (or Ctrl-D)\n")


def _commands(parser: CommandParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # noqa: SLF001 - argparse offers no public accessor
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            return dict(action.choices)
    return {}


def run_shell(
    client: RelayClient, server: str, *, out: TextIO, err: TextIO, stdin: TextIO
) -> int:
    """Read commands until 'quit' or the end of the input; 0 unless the session ended."""
    parser = command_parser()
    interactive = stdin is sys.stdin and stdin.isatty()
    if interactive:
        _enable_line_editing()
    me = client.me
    out.write(
        f"Signed in as {me['username']} ({me['role'].replace('_', ' ')}). "
        "Type 'help' for the commands, 'quit' to leave.\n"
    )
    while True:
        out.flush()
        try:
            words = shlex.split(_read_line(stdin, interactive))
        except EOFError:
            if interactive:
                out.write("\n")
            return 0
        except KeyboardInterrupt:
            out.write("\n")
            continue
        except ValueError as exc:  # an unclosed quote
            err.write(f"relay-client: {exc} (put quotes around text with spaces)\n")
            continue
        if not words:
            continue
        if words[0] in LEAVE:
            return 0
        if words[0] == "help":
            _help(parser, words, out)
            continue
        try:
            with redirect_stdout(out):
                args = parser.parse_args(words)
            run_command(client, args, out, stdin)
        except HelpShown:
            continue
        except KeyboardInterrupt:  # Ctrl-C stops a command (a 'listen', say), not the shell
            out.write("\n")
        except FAILURES as exc:
            err.write(f"relay-client: {explain(exc, server)[1]}\n")
            if session_ended(exc):
                err.write("relay-client: your session has ended; run 'relay-client shell' "
                          "again to sign in.\n")
                return 1
