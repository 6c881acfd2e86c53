"""Plaintext YAML inputs covering what sops must handle (shared by the interop tests)."""

from tests.helpers.pem import begin, end

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
    name: github-deploy-key
    namespace: flux-system
type: Opaque
stringData:
    identity: |
        @BEGIN@
        b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
        @END@
    identity.pub: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake k8s-wizard
    known_hosts: github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl
"""

SECRET = SECRET.replace("@BEGIN@", begin("OPENSSH")).replace("@END@", end("OPENSSH"))

SCALARS = """\
str: hello world
int: 42
neg: -7
hex: 0x1F
octal_go: 010
under: 1_000
float: 3.14159
big: 1e20
one: 1.0
small: 0.00001
million: 1234567.5
inf: .inf
ninf: -.inf
nan: .nan
negzero: -0.0
yes_str: yes
on_str: on
quoted_true: "true"
bool: true
boolf: False
date: 2024-01-02
time: 2024-01-02T03:04:05.123456789+02:00
spacetime: 2024-01-02 03:04:05
notime: 2024-01-02T03:04:05
empty: ""
nul: null
tilde: ~
colon: 'key: value'
dash: '- leading'
hash: '#hash'
trail: 'trailing '
tab: "a\\tb"
unicode: grüße ☃
emoji: "\\U0001F600"
base60: "1:20"
literal: |
    line one
    line two
keep: |+
    kept

strip: |-
    no newline
binary: !!binary aGVsbG8=
"""

NESTED = """\
# top comment
top:
    # inner comment
    list:
        - a
        # list comment
        - nested: x
          other:
            - 1
            - 2
        - - deep1
          - deep2
    map_in_list:
        - name: one
          value: 1
        - name: two
          value: [x, y]
    emptymap: {}
    emptylist: []
    key_unencrypted: visible
    sub_unencrypted:
        inner: also visible
plain_key: value # trailing comment
# foot comment
"""

MULTIDOC = """\
apiVersion: v1
kind: Secret
metadata:
    name: one
stringData:
    a: "1"
---
apiVersion: v1
kind: Secret
metadata:
    name: two
data:
    b: Yg==
"""

ALL = {"secret": SECRET, "scalars": SCALARS, "nested": NESTED, "multidoc": MULTIDOC}
