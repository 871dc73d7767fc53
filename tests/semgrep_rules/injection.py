# Test cases for gates/rules/injection.yml (semgrep --test format).
import os
import subprocess
import urllib.request

import flask
import httpx
import requests
from django.db.models.expressions import RawSQL
from flask import redirect, request, send_file


def commands(user_cmd, path):
    # ruleid: gates.python.subprocess-shell-injection
    subprocess.run(user_cmd, shell=True)
    # ruleid: gates.python.subprocess-shell-injection
    subprocess.Popen("ls " + path, shell=True)
    # ok: gates.python.subprocess-shell-injection
    subprocess.run("ls -l", shell=True)
    # ok: gates.python.subprocess-shell-injection
    subprocess.run(["ls", path])
    # ruleid: gates.python.os-system-injection
    os.system("rm -rf " + path)
    # ruleid: gates.python.os-system-injection
    os.popen(f"cat {path}")
    # ok: gates.python.os-system-injection
    os.system("clear")


def sql(cursor, name, Person):
    # ruleid: gates.python.sql-injection
    cursor.execute("SELECT * FROM users WHERE name = '%s'" % name)
    # ruleid: gates.python.sql-injection
    cursor.execute(f"SELECT * FROM users WHERE name = '{name}'")
    # ruleid: gates.python.sql-injection
    cursor.execute("SELECT * FROM users WHERE name = '{}'".format(name))
    # ruleid: gates.python.sql-injection
    cursor.execute("SELECT * FROM users WHERE name = '" + name + "'")
    query = "DELETE FROM users WHERE name = '%s'" % name
    # ruleid: gates.python.sql-injection
    cursor.execute(query)
    # ok: gates.python.sql-injection
    cursor.execute("SELECT * FROM users WHERE name = %s", (name,))
    # ruleid: gates.python.django-raw-sql
    Person.objects.annotate(val=RawSQL("SELECT col FROM t WHERE id = %s" % name, ()))
    # ok: gates.python.django-raw-sql
    Person.objects.annotate(val=RawSQL("SELECT col FROM t WHERE id = %s", (name,)))


def code(expr):
    # ruleid: gates.python.eval-injection
    eval(expr)
    # ok: gates.python.eval-injection
    eval("1 + 1")
    # ruleid: gates.python.exec-injection
    exec(expr)
    # ok: gates.python.exec-injection
    exec("x = 1")


def ssrf():
    url = request.args.get("url")
    # ruleid: gates.python.ssrf-request-with-user-url
    requests.get(url, timeout=5)
    # ruleid: gates.python.ssrf-request-with-user-url
    httpx.post(request.form["target"])
    # ruleid: gates.python.ssrf-request-with-user-url
    urllib.request.urlopen("http://" + request.args["host"] + "/status")
    # ok: gates.python.ssrf-request-with-user-url
    requests.get("https://api.example.com/search", params={"q": request.args.get("q")})


def files():
    name = request.args.get("name")
    # ruleid: gates.python.path-traversal-open
    with open("/srv/data/" + name) as handle:
        handle.read()
    # ok: gates.python.path-traversal-open
    with open(os.path.join("/srv/data", os.path.basename(name))) as handle:
        handle.read()
    # ruleid: gates.python.path-traversal-open
    return send_file(request.args["file"])


def redirects():
    # ruleid: gates.python.open-redirect
    return redirect(request.args.get("next"))


def redirect_ok():
    # ok: gates.python.open-redirect
    return flask.redirect("/home")
