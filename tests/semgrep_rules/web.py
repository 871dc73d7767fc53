# Test cases for gates/rules/web.yml (semgrep --test format).
import os
import socket
import tempfile

import jinja2
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from flask import Flask

app = Flask(__name__)


def serve():
    # ruleid: gates.python.flask-debug-enabled
    app.run(debug=True)
    # ok: gates.python.flask-debug-enabled
    app.run(debug=os.environ.get("FLASK_DEBUG") == "1")
    # ruleid: gates.python.bind-all-interfaces
    app.run(host="0.0.0.0", port=8000)
    # ok: gates.python.bind-all-interfaces
    app.run(host="127.0.0.1", port=8000)
    sock = socket.socket()
    # ruleid: gates.python.bind-all-interfaces
    sock.bind(("0.0.0.0", 9000))


def templates(loader):
    # ruleid: gates.python.jinja2-autoescape-disabled
    env = jinja2.Environment(loader=loader)
    # ruleid: gates.python.jinja2-autoescape-disabled
    env = jinja2.Environment(loader=loader, autoescape=False)
    # ok: gates.python.jinja2-autoescape-disabled
    env = jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape())
    return env


def html(request):
    name = request.GET["name"]
    # ruleid: gates.python.django-mark-safe
    page = mark_safe("<b>" + name + "</b>")
    # ok: gates.python.django-mark-safe
    page = mark_safe("<b>static</b>")
    # ok: gates.python.django-mark-safe
    page = format_html("<b>{}</b>", name)
    return page


# ruleid: gates.python.django-csrf-exempt
@csrf_exempt
def webhook(request):
    return None


# ok: gates.python.django-csrf-exempt
def normal_view(request):
    return None


def delete(request, user):
    # ruleid: gates.python.assert-access-control
    assert user.is_admin, "admins only"
    # ruleid: gates.python.assert-access-control
    assert request.user.has_perm("app.delete")
    # ok: gates.python.assert-access-control
    assert isinstance(user.id, int)


def temp(path):
    # ruleid: gates.python.tempfile-mktemp
    name = tempfile.mktemp()
    # ok: gates.python.tempfile-mktemp
    fd, name = tempfile.mkstemp()
    # ruleid: gates.python.world-writable-permissions
    os.chmod(path, 0o777)
    # ok: gates.python.world-writable-permissions
    os.chmod(path, 0o600)
    return fd, name
