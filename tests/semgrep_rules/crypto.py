# Test cases for gates/rules/crypto.yml (semgrep --test format).
import hashlib
import os
import random
import secrets
import ssl

import jwt
import paramiko
import requests
from Crypto.Cipher import AES, DES


def tls(url, sock):
    # ruleid: gates.python.tls-verify-disabled
    requests.get(url, verify=False)
    # ok: gates.python.tls-verify-disabled
    requests.get(url, verify="/etc/ssl/ca.pem")
    # ruleid: gates.python.ssl-unverified-context
    ctx = ssl._create_unverified_context()
    # ok: gates.python.ssl-unverified-context
    ctx = ssl.create_default_context()
    # ruleid: gates.python.ssl-cert-none
    ctx.verify_mode = ssl.CERT_NONE
    # ok: gates.python.ssl-cert-none
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def hashes(password, data):
    # ruleid: gates.python.weak-password-hash
    stored = hashlib.md5(password.encode()).hexdigest()
    # ruleid: gates.python.weak-password-hash
    stored = hashlib.sha1(password.encode()).hexdigest()  # and not weak-hash a second time
    # ok: gates.python.weak-password-hash
    stored = hashlib.pbkdf2_hmac("sha256", password.encode(), os.urandom(16), 600_000)
    # ruleid: gates.python.weak-hash
    digest = hashlib.sha1(data)
    # ok: gates.python.weak-hash
    digest = hashlib.md5(data, usedforsecurity=False)
    return stored, digest


def ciphers(key, text):
    # ruleid: gates.python.weak-cipher
    DES.new(key, DES.MODE_CBC)
    # ruleid: gates.python.weak-cipher
    AES.new(key, AES.MODE_ECB)
    # ok: gates.python.weak-cipher
    AES.new(key, AES.MODE_GCM)


def tokens(user):
    # ruleid: gates.python.insecure-random-secret
    reset_token = "".join(random.choice("abcdef0123456789") for _ in range(32))
    # ok: gates.python.insecure-random-secret
    reset_token = secrets.token_hex(16)
    # ok: gates.python.insecure-random-secret
    delay = random.uniform(0.1, 0.5)
    return reset_token, delay


# ruleid: gates.python.hardcoded-credential
DB_PASSWORD = "hunter2-prod"
# ok: gates.python.hardcoded-credential
DB_PASSWORD = os.environ["DB_PASSWORD"]
# ok: gates.python.hardcoded-credential
password = ""


def connect(host):
    # ruleid: gates.python.hardcoded-credential
    return requests.post(host, data={"user": "svc"}, auth=None, api_key="AKIA-live-1234")


def decode(token, key):
    # ruleid: gates.python.jwt-verification-disabled
    claims = jwt.decode(token, options={"verify_signature": False})
    # ok: gates.python.jwt-verification-disabled
    claims = jwt.decode(token, key, algorithms=["HS256"])
    return claims


def ssh(host):
    client = paramiko.SSHClient()
    # ruleid: gates.python.paramiko-auto-add-policy
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    # ok: gates.python.paramiko-auto-add-policy
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(host)
