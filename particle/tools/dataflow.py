#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# particle/tools/dataflow.py AST.json...: for add and set, the functions
# (and their files) that the job's name and its pools pass through from
# argv on, from clang's JSON ASTs of particle/*.c (structure.sh makes them).
#
# A function carries a field if the verb's entry reaches it and it reads
# or writes that field of struct pt_job (name; pools, npools, count)
# itself, gets it (or a value computed from it) as an argument from a
# carrier, or hands a carrier a struct holding the job (struct pt_job, or
# one with a pt_job inside).  Calls through pointers are not followed.
import json
import sys

FIELDS = {'name': {'name'}, 'pool': {'pools', 'npools', 'count'}}
VERBS = {'add': 'pt_do_add', 'set': 'pt_do_set'}

funcs = {}      # key -> {'file', 'params': [ids], 'calls': [...], 'access'}
fields = {}     # FieldDecl id -> field name, for struct pt_job
holders = {'pt_job'}    # records holding a struct pt_job


def walk(node, visit):
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            visit(n)
            stack.extend(reversed(n.get('inner', [])))


def sources(expr, params):
    """What an expression is made from: target fields, tainted params."""
    out = set()
    t = expr.get('type', {}).get('qualType', '')
    if any('struct %s' % h in t for h in holders):
        out.add(('holder',))

    def visit(n):
        k = n.get('kind')
        if k == 'MemberExpr' and n.get('referencedMemberDecl') in fields:
            out.add(('field', fields[n['referencedMemberDecl']]))
        elif k == 'DeclRefExpr':
            d = n.get('referencedDecl', {})
            if d.get('id') in params:
                out.add(('param', params.index(d['id'])))
    walk(expr, visit)
    return out


def load(path):
    tu = json.load(open(path))
    cur = [None]

    def file_of(n):
        for key in ('loc', 'range'):
            v = n.get(key)
            stack = [v]
            while stack:
                x = stack.pop()
                if isinstance(x, dict):
                    if 'file' in x:
                        cur[0] = x['file']
                    stack.extend(x.values())
        return cur[0]

    decls = tu.get('inner', [])
    static_ids = {}
    # the record first: its field ids, wherever the header put it
    for d in decls:
        if d.get('kind') == 'RecordDecl' and d.get('name') == 'pt_job' \
                and d.get('completeDefinition'):
            for f in d.get('inner', []):
                if f.get('kind') == 'FieldDecl':
                    for k, names in FIELDS.items():
                        if f.get('name') in names:
                            fields[f['id']] = k
    changed = True
    while changed:
        changed = False
        for d in decls:
            if d.get('kind') != 'RecordDecl' or d.get('name') in holders:
                continue
            for f in d.get('inner', []):
                t = f.get('type', {}).get('qualType', '')
                if f.get('kind') == 'FieldDecl' and \
                        any('struct %s' % h in t for h in holders):
                    holders.add(d['name'])
                    changed = True
                    break
    for d in decls:
        fname = file_of(d)
        if d.get('kind') != 'FunctionDecl':
            continue
        body = [x for x in d.get('inner', []) if x.get('kind') == 'CompoundStmt']
        if not body or not fname or '/particle/' not in fname:
            if d.get('storageClass') == 'static':
                static_ids[d['id']] = fname
            continue
        base = fname.rsplit('/', 1)[-1]
        key = d['name'] if d.get('storageClass') != 'static' \
            else base + ':' + d['name']
        params = [p['id'] for p in d.get('inner', [])
                  if p.get('kind') == 'ParmVarDecl']
        fn = {'file': base, 'params': params, 'calls': [], 'access': set()}

        def visit(n, fn=fn, params=params, base=base):
            k = n.get('kind')
            if k == 'MemberExpr' and n.get('referencedMemberDecl') in fields:
                fn['access'].add(fields[n['referencedMemberDecl']])
            if k != 'CallExpr' or not n.get('inner'):
                return
            callee = None

            def find(m):
                nonlocal callee
                if callee is None and m.get('kind') == 'DeclRefExpr':
                    r = m.get('referencedDecl', {})
                    if r.get('kind') == 'FunctionDecl':
                        callee = r
            walk(n['inner'][0], find)
            if callee is None:
                return
            fn['calls'].append((callee, [sources(a, params)
                                         for a in n['inner'][1:]]))
        walk(body[0], visit)
        funcs[key] = fn
        static_ids[d['id']] = fname if d.get('storageClass') == 'static' \
            else None
    # callees: static ones of this file by file:name, others by name
    for fn in funcs.values():
        fixed = []
        for callee, args in fn['calls']:
            if isinstance(callee, str):
                fixed.append((callee, args))
                continue
            name = callee['name']
            if static_ids.get(callee['id']):
                name = static_ids[callee['id']].rsplit('/', 1)[-1] + ':' + name
            fixed.append((name, args))
        fn['calls'] = fixed


for p in sys.argv[1:]:
    load(p)


def reach_all(entry):
    down, todo = {entry}, [entry]
    while todo:
        f = todo.pop()
        for c, _ in funcs.get(f, {}).get('calls', []):
            if c in funcs and c not in down:
                down.add(c)
                todo.append(c)
    return down


for verb, entry in VERBS.items():
    if entry not in funcs:
        continue
    path = reach_all(entry)
    for field in FIELDS:
        tainted = {f: set() for f in funcs}
        carriers = {f for f in path if field in funcs[f]['access']}
        changed = True
        while changed:
            changed = False
            for f in list(carriers) + [f for f in funcs if tainted[f]]:
                for c, args in funcs[f]['calls']:
                    if c not in funcs:
                        continue
                    for i, src in enumerate(args):
                        hot = ('field', field) in src or any(
                            s[0] == 'param' and s[1] in tainted[f]
                            for s in src)
                        if hot and i not in tainted[c]:
                            tainted[c].add(i)
                            changed = True
            new = {f for f in path if tainted[f]} | {
                f for f in path
                if any(c in carriers and any(('holder',) in a for a in args)
                       for c, args in funcs[f]['calls'])}
            new -= carriers
            if new:
                carriers |= new
                changed = True
        files = {funcs[f]['file'] for f in carriers}
        print('%s: the job %s passes %d functions in %d files' %
              (verb, field, len(carriers), len(files)))
