"""``k8s-wizard sops encrypt|decrypt FILE`` and ``k8s-wizard keys new``: the in-process engine
with sops' command-line behaviour (stdout output, .sops.yaml from the cwd, sops exit codes)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _fail(message: str, code: int) -> int:
    print(f"k8s-wizard: {message}", file=sys.stderr)
    return code


def _read(path: Path) -> bytes:
    from wizard.sops import SopsError

    if not path.exists():
        raise SopsError(f"{path}: cannot operate on non-existent file", 100)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SopsError(f"{path}: cannot read it ({exc.strerror})", 2) from None


def _identities() -> list[str]:
    from wizard.sops import SopsError
    from wizard.sops.keys import KeysError, find_identities

    try:
        return find_identities()
    except KeysError as exc:
        raise SopsError(str(exc), 128) from None


def cmd_encrypt(args: argparse.Namespace) -> int:
    from wizard.sops import CryptRule, SopsError, encrypt
    from wizard.sops.config import NO_CONFIG, find_config, load_config

    path = Path(args.file)
    try:
        raw = _read(path)
        found = find_config(Path.cwd())
        config = load_config(found) if found else None
        rule, recipients, indent = CryptRule(), _split_age(args.age), 4
        if config is not None:
            indent = config.indent
            if config.rules:  # a found config with rules but no match is fatal, even with --age
                creation = config.rule_for(path)
                rule = creation.crypt
                recipients = recipients or creation.recipients
        if not recipients:
            raise SopsError(f"{path}: {NO_CONFIG}", 1)
        flags = [(k, v) for k, v in (("encrypted_regex", args.encrypted_regex), ("unencrypted_regex", args.unencrypted_regex),
                                     ("encrypted_suffix", args.encrypted_suffix), ("unencrypted_suffix", args.unencrypted_suffix)) if v]
        if flags:
            rule = CryptRule(flags[0][0], flags[0][1], rule.mac_only_encrypted)
        if args.mac_only_encrypted:
            rule = CryptRule(rule.kind, rule.value, True)
        out = encrypt(raw, recipients, rule=rule, indent=indent, path=str(path))
    except SopsError as exc:
        return _fail(str(exc), exc.exit_code)
    except ValueError as exc:  # a bad --encrypted-regex and the like
        return _fail(f"{path}: {exc}", 1)
    sys.stdout.write(out)
    sys.stdout.flush()
    return 0


def cmd_decrypt(args: argparse.Namespace) -> int:
    from wizard.sops import SopsError, decrypt
    from wizard.sops.config import find_config, load_config

    path = Path(args.file)
    try:
        raw = _read(path)
        found = find_config(Path.cwd())
        indent = load_config(found).indent if found else 4
        out = decrypt(raw, _identities(), path=str(path), indent=indent)
    except SopsError as exc:
        return _fail(str(exc), exc.exit_code)
    sys.stdout.write(out)
    sys.stdout.flush()
    return 0


def cmd_keys_new(args: argparse.Namespace) -> int:
    from wizard.sops.keys import format_keys_file, generate_identity, write_keys_file

    identity, recipient = generate_identity()
    if args.output:
        target = Path(args.output)
        try:
            write_keys_file(target, identity)
        except FileExistsError as exc:
            return _fail(str(exc), 1)
        except OSError as exc:
            return _fail(f"{target}: cannot write it ({exc.strerror})", 1)
    else:
        if sys.stdout.isatty():
            print("k8s-wizard: warning: writing the secret key to a terminal; use -o FILE to keep it", file=sys.stderr)
        sys.stdout.write(format_keys_file(identity))
        sys.stdout.flush()
    print(f"Public key: {recipient}", file=sys.stderr)
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    sops = sub.add_parser("sops", help="encrypt/decrypt sops YAML files in-process (sops 3.11 compatible)")
    ssub = sops.add_subparsers(dest="sops_command", metavar="ACTION", required=True)
    enc = ssub.add_parser("encrypt", help="print FILE encrypted, like `sops -e FILE`")
    enc.add_argument("--age", action="append", metavar="RECIPIENT", help="age recipient (repeatable; comma lists allowed)")
    rule = enc.add_mutually_exclusive_group()
    rule.add_argument("--encrypted-regex", metavar="REGEX")
    rule.add_argument("--unencrypted-regex", metavar="REGEX")
    rule.add_argument("--encrypted-suffix", metavar="SUFFIX")
    rule.add_argument("--unencrypted-suffix", metavar="SUFFIX")
    enc.add_argument("--mac-only-encrypted", action="store_true", help="MAC covers only the encrypted values")
    enc.add_argument("file", metavar="FILE")
    enc.set_defaults(func=cmd_encrypt)
    dec = ssub.add_parser("decrypt", help="print FILE decrypted, like `sops -d FILE` (keys as sops finds them)")
    dec.add_argument("file", metavar="FILE")
    dec.set_defaults(func=cmd_decrypt)

    keys = sub.add_parser("keys", help="age keys for sops")
    ksub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    new = ksub.add_parser("new", help="generate an age X25519 identity (like age-keygen)")
    new.add_argument("-o", "--output", metavar="FILE", help="write the key file here (mode 0600; never overwritten)")
    new.set_defaults(func=cmd_keys_new)


def _split_age(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]

