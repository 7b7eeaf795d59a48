#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target (tests/fuzz/corpus/TARGET/) from the tests' own data:
the bad-input corpus (tests/data/bad) and the string literals of the unit tests (tests/unit/*.c),
sorted to the targets by what they hold. Run it again after adding unit tests; the files are
named by content hash, so running it twice changes nothing."""
import hashlib
import json
import pathlib
import re
import xml.dom.minidom

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests/fuzz/corpus"

# A C string literal, and runs of them separated by blanks, comments, line continuations.
LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
GAP = re.compile(r'(?:\s|\\\n|/\*.*?\*/)*', re.S)


def c_unescape(s):
    out, i = bytearray(), 0
    simple = {"n": 10, "t": 9, "r": 13, "0": 0, "\\": 92, '"': 34, "'": 39}
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            c = s[i + 1]
            if c == "x":
                m = re.match(r"[0-9a-fA-F]{1,2}", s[i + 2:])
                out.append(int(m.group(0), 16))
                i += 2 + len(m.group(0))
                continue
            if c in "01234567" and re.match(r"[0-7]{2,3}", s[i + 1:]):
                m = re.match(r"[0-7]{1,3}", s[i + 1:])
                out.append(int(m.group(0), 8))
                i += 1 + len(m.group(0))
                continue
            out.append(simple.get(c, ord(c)))
            i += 2
            continue
        out += s[i].encode()
        i += 1
    return bytes(out)


DEFINE = re.compile(r'^#define\s+(\w+)(?:[ \t]|\\\n)+((?:"(?:[^"\\\n]|\\.)*"(?:[ \t]|\\\n)*)+)$', re.M)


def expand_macros(text):
    """Object-like macros made of string literals only (LISTING_HEAD "..."), expanded."""
    for m in list(DEFINE.finditer(text)):
        body = '"' + "".join(LITERAL.findall(m.group(2))) + '"'
        text = text.replace(m.group(0), "")
        text = re.sub(r"\b%s\b" % m.group(1), lambda _: body, text)
    return text


def literals(text):
    """Every run of adjacent string literals, concatenated as the compiler does."""
    text = expand_macros(text)
    pos = 0
    while True:
        m = LITERAL.search(text, pos)
        if not m:
            return
        parts = [m.group(1)]
        pos = m.end()
        while True:
            g = GAP.match(text, pos)
            n = LITERAL.match(text, g.end())
            if not n:
                break
            parts.append(n.group(1))
            pos = n.end()
        yield c_unescape("".join(parts))


def is_json(b):
    try:
        return json.loads(b.decode())
    except Exception:
        return None


def is_xml(b):
    try:
        xml.dom.minidom.parseString(b)
        return True
    except Exception:
        return False


def targets_of(b):
    """The fuzz targets a seed suits."""
    t = set()
    text = b.decode("utf-8", "replace")
    doc = is_json(b)
    if b.lstrip().startswith(b"<") and is_xml(b):
        if "ListBucketResult" in text:
            t.add("s3_listing")
        if "<Error" in text:
            t.add("aws_error")
    if isinstance(doc, dict):
        if "widgetId" in doc or "type" in doc:
            t.update(["request", "widget_update"])
        if "__type" in doc or "message" in doc or "Message" in doc:
            t.add("aws_error")
        if "Messages" in doc or "MessageId" in doc:
            t.add("sqs_receive")
        if '{"S"' in text.replace(" ", ""):
            t.add("dynamodb_items")
        if "AccessKeyId" in text:
            t.add("credentials_json")
    if re.search(r"^\[[^\]\n]+\]$", text, re.M) and "=" in text:
        t.add("credentials_ini")
    if re.fullmatch(r"\s*\d{2,4}-\d.*", text) and len(text) < 64:
        t.add("iso8601")
    return t


# Answers the unit tests build with json_pack/snprintf (not literals), and the integration tests'
# metadata server, written out.
BUILT = {
    # issue 8: removed and set again in one update; applied twice, "o" moves behind "z". The
    # widget is made by the request before the NUL byte (see fuzz_widget_update.c).
    "widget_update": [
        b'{"type":"create","requestId":"c","widgetId":"w","owner":"A"}\0'
        b'{"type":"update","requestId":"r","widgetId":"w","owner":"A","otherAttributes":['
        b'{"name":"o","value":""},{"name":"o","value":"x"},{"name":"z","value":"y"}]}',
    ],
    "sqs_receive": [
        b'{"Messages":[{"MessageId":"id-0","ReceiptHandle":"rh-0","Body":"{\\"n\\":0}",'
        b'"Attributes":{"ApproximateReceiveCount":"3"}},{"MessageId":"id-1","ReceiptHandle":"rh-1",'
        b'"Body":"{\\"type\\":\\"create\\"}","MessageAttributes":{"reason":{"DataType":"String",'
        b'"StringValue":"x"}}}]}',
        b'{"Messages":[]}',
        b'{"Successful":[{"Id":"m0"}],"Failed":[{"Id":"m1","SenderFault":true,"Code":"X"}]}',
    ],
    "dynamodb_items": [
        b'{"Items":[{"id":{"S":"w1"},"owner":{"S":"Sue Smith"},"label":{"S":"L"},'
        b'"attr_owner":{"S":"evil"},"attr_attr_x":{"S":"1"},"color":{"S":"red"}}],"Count":1,'
        b'"LastEvaluatedKey":{"id":{"S":"w1"}}}',
        b'{"Attributes":{"id":{"S":"w1"},"owner":{"S":"Sue Smith"},"n":{"N":"1"}}}',
    ],
    "credentials_json": [
        b'{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"s",'
        b'"Token":"t","Expiration":"2026-11-21T15:30:00Z","LastUpdated":"2026-11-21T09:30:00Z"}',
        b'{"AccessKeyId":"AKID","SecretAccessKey":"s","Expiration":"2026-11-21T15:30:00.123+01:00"}',
        b'{"AccessKeyId":"AKID","SecretAccessKey":"s","Expiration":"soon"}',
    ],
    "s3_listing": [
        b'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/'
        b'doc/2006-03-01/"><Name>requests</Name><IsTruncated>true</IsTruncated><Contents><Key>'
        b'1795271641419</Key><Size>60</Size></Contents><Contents><Key>a&amp;b c</Key></Contents>'
        b'<CommonPrefixes><Prefix>dead-letter/</Prefix></CommonPrefixes><NextContinuationToken>'
        b'tok+/=</NextContinuationToken></ListBucketResult>',
    ],
}


def main():
    seeds = {t: set(v) for t, v in BUILT.items()}
    for f in sorted((ROOT / "tests/data/bad").iterdir()):
        if f.name != "EXPECTED":
            seeds.setdefault("request", set()).add(f.read_bytes())
            seeds.setdefault("widget_update", set()).add(f.read_bytes())
    for f in sorted((ROOT / "tests/unit").glob("*.c")):
        for b in literals(f.read_text()):
            for t in targets_of(b):
                seeds.setdefault(t, set()).add(b)
    for target, items in sorted(seeds.items()):
        d = OUT / target
        d.mkdir(parents=True, exist_ok=True)
        for b in items:
            (d / hashlib.sha1(b).hexdigest()[:16]).write_bytes(b)
        print(f"{target}: {len(items)} seeds")


if __name__ == "__main__":
    main()
