#!/usr/bin/env python3
"""The baseline: a consumer written the way the course's Python student versions are, on the same
directory layout (one request file per key, smallest first; widgets at widgets/{owner}/{id}).
Used only by bench/run.sh, to compare against in the same run. It applies the same rules so the
verifier can check its result too."""
import json, os, sys, time

req_dir, widget_dir = sys.argv[1], sys.argv[2]
empty = 0
while empty < 5:
    names = sorted(n for n in os.listdir(req_dir) if not n.startswith('.'))
    if not names:
        empty += 1
        time.sleep(0.1)
        continue
    empty = 0
    name = names[0]
    path = os.path.join(req_dir, name)
    with open(path) as f:
        req = json.load(f)
    key = os.path.join(widget_dir, 'widgets', req['owner'].replace(' ', '-').lower(), req['widgetId'])
    if req['type'] == 'create':
        w = {'id': req['widgetId'], 'owner': req['owner']}
        for k in ('label', 'description'):
            if req.get(k):
                w[k] = req[k]
        w['otherAttributes'] = [a for a in req.get('otherAttributes') or [] if a['value']]
        os.makedirs(os.path.dirname(key), exist_ok=True)
        with open(key, 'w') as f:
            json.dump(w, f, separators=(',', ':'))
    elif req['type'] == 'update':
        with open(key) as f:
            w = json.load(f)
        for k in ('label', 'description'):
            v = req.get(k)
            if v == '':
                w.pop(k, None)
            elif v is not None:
                w[k] = v
        attrs = w['otherAttributes']
        for a in req.get('otherAttributes') or []:
            found = [x for x in attrs if x['name'] == a['name']]
            if a['value'] == '':
                attrs[:] = [x for x in attrs if x['name'] != a['name']]
            elif found:
                found[0]['value'] = a['value']
            else:
                attrs.append({'name': a['name'], 'value': a['value']})
        with open(key, 'w') as f:
            json.dump(w, f, separators=(',', ':'))
    else:
        os.remove(key)
    os.remove(path)
