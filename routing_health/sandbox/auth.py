"""Sessions and logins for the Salesforce emulator: bearer tokens, the SOAP partner `login()`,
and the OAuth 2.0 token endpoint (password, client-credentials and JWT bearer grants).

Wire formats follow Salesforce: a SOAP `loginResponse` (or an `sf:INVALID_LOGIN` fault, HTTP
500), and OAuth JSON (`{"access_token", "instance_url", "id", "token_type", "issued_at",
"signature"}`, or HTTP 400 `{"error", "error_description"}`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import jwt

if TYPE_CHECKING:
    from .org import Org

Response = tuple[int, str, bytes]  # status, content type, body
JSON_TYPE = "application/json;charset=UTF-8"
XML_TYPE = "text/xml;charset=UTF-8"
LOGIN_HOSTS = ("login.salesforce.com", "test.salesforce.com")

INVALID_LOGIN = "Invalid username, password, security token; or user locked out."
_SOAP_FAULT = (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
    'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:sf="urn:fault.partner.soap.sforce.com" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
    "<faultcode>sf:{code}</faultcode><faultstring>{code}: {message}</faultstring><detail>"
    '<sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>{code}</sf:exceptionCode>'
    "<sf:exceptionMessage>{message}</sf:exceptionMessage></sf:LoginFault></detail>"
    "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
)
_SOAP_OK = (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
    'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<soapenv:Body><loginResponse><result>"
    "<metadataServerUrl>{base}/services/Soap/m/{version}/{org}</metadataServerUrl>"
    "<passwordExpired>false</passwordExpired><sandbox>{sandbox}</sandbox>"
    "<serverUrl>{base}/services/Soap/u/{version}/{org}</serverUrl>"
    "<sessionId>{token}</sessionId><userId>{user}</userId><userInfo>"
    "<organizationId>{org}</organizationId><organizationName>Routing Health Sandbox"
    "</organizationName><userFullName>{name}</userFullName><userId>{user}</userId>"
    "<userName>{username}</userName></userInfo></result></loginResponse></soapenv:Body>"
    "</soapenv:Envelope>"
)


@dataclass(frozen=True)
class OAuthClient:
    secret: str | None = None
    run_as: str | None = None  # username for the client-credentials flow
    public_key_pem: str | None = None  # JWT bearer: verify assertions against this key
    jwt_username: str | None = None


def _oauth_error(error: str, description: str) -> Response:
    return 400, JSON_TYPE, json.dumps({"error": error, "error_description": description}).encode()


class Auth:
    """Issued tokens, known credentials and connected apps of one emulator."""

    def __init__(self, org: Org, instance_url: str):
        self.org = org
        self.instance_url = instance_url
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}  # token -> user Id
        self._signing_key = secrets.token_bytes(32)
        # username -> (password, security token); SOAP/password grant accept password+token.
        self.users_credentials: dict[str, tuple[str, str]] = {}
        self.clients: dict[str, OAuthClient] = {}

    # ---------------------------------------------------------------- tokens
    def issue(self, user_id: str | None = None) -> str:
        token = f"{self.org.org_id[:15]}!AQ{secrets.token_urlsafe(72)}"
        with self._lock:
            self._tokens[token] = user_id or self.org.default_user_id
        return token

    def user_for(self, authorization: str | None) -> str | None:
        """The user Id of a valid `Authorization: Bearer <token>` header, else None."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() not in ("bearer", "oauth"):
            return None
        with self._lock:
            return self._tokens.get(token.strip())

    def expire_all(self) -> None:
        with self._lock:
            self._tokens.clear()

    # ---------------------------------------------------------------- credentials
    def _user(self, username: str) -> tuple[str, str]:
        """(user Id, full name) of `username`, from the org's User records when present."""
        with self.org.lock:
            for row in self.org.records("User"):
                if (row.get("Username") or "").lower() == username.lower():
                    return row["Id"], row.get("Name") or username
        return self.org.default_user_id, username

    def check_password(self, username: str, supplied: str) -> bool:
        creds = self.users_credentials.get(username)
        if creds is None:
            return False
        password, token = creds
        candidates = {password + token} | ({password} if not token else set())
        return any(hmac.compare_digest(supplied, c) for c in candidates)

    # ---------------------------------------------------------------- SOAP login
    def soap_login(self, body: bytes, version: str, host: str) -> Response:
        text = body.decode("utf-8", "replace")
        username = _element(text, "username")
        password = _element(text, "password")
        if username is None or password is None or not self.check_password(username, password):
            message = escape(INVALID_LOGIN)
            return 500, XML_TYPE, _SOAP_FAULT.format(code="INVALID_LOGIN",
                                                     message=message).encode()
        user_id, name = self._user(username)
        payload = _SOAP_OK.format(
            base=self.instance_url, version=version, org=self.org.org_id,
            sandbox="true" if host.startswith("test.") else "false",
            token=escape(self.issue(user_id)), user=user_id, name=escape(name),
            username=escape(username),
        )
        return 200, XML_TYPE, payload.encode()

    # ---------------------------------------------------------------- OAuth
    def oauth_token(self, body: bytes, authorization: str | None, host: str) -> Response:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        grant = form.get("grant_type")
        if grant == "password":
            return self._password_grant(form)
        if grant == "client_credentials":
            return self._client_credentials(form, authorization, host)
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self._jwt_bearer(form.get("assertion", ""))
        return _oauth_error("unsupported_grant_type", "grant type not supported")

    def _client(self, key: str | None, secret: str | None) -> OAuthClient | Response:
        client = self.clients.get(key or "")
        if client is None:
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if client.secret is None or not hmac.compare_digest(secret or "", client.secret):
            return _oauth_error("invalid_client", "invalid client credentials")
        return client

    def _password_grant(self, form: dict[str, str]) -> Response:
        client = self._client(form.get("client_id"), form.get("client_secret"))
        if not isinstance(client, OAuthClient):
            return client
        username = form.get("username", "")
        if not self.check_password(username, form.get("password", "")):
            return _oauth_error("invalid_grant", "authentication failure")
        return self._token_response(self._user(username)[0])

    def _client_credentials(self, form: dict[str, str], authorization: str | None,
                            host: str) -> Response:
        if host in LOGIN_HOSTS:
            return _oauth_error("invalid_grant", "request not supported on this domain")
        key, secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:]).decode()
            except (ValueError, UnicodeDecodeError):
                return _oauth_error("invalid_client", "invalid client credentials")
            key, _, secret = decoded.partition(":")
        client = self._client(key, secret)
        if not isinstance(client, OAuthClient):
            return client
        if not client.run_as:
            return _oauth_error("invalid_grant", "no client credentials user enabled")
        return self._token_response(self._user(client.run_as)[0])

    def _jwt_bearer(self, assertion: str) -> Response:
        try:
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return _oauth_error("invalid_grant", "invalid assertion")
        client = self.clients.get(str(claims.get("iss", "")))
        if client is not None and client.public_key_pem:
            try:
                claims = jwt.decode(assertion, client.public_key_pem, algorithms=["RS256"],
                                    options={"verify_aud": False, "require": ["exp"]})
            except jwt.ExpiredSignatureError:
                return _oauth_error("invalid_grant", "expired authorization code")
            except jwt.PyJWTError:
                return _oauth_error("invalid_grant", "invalid assertion")
        audience = str(claims.get("aud", ""))
        aud_host = audience.removeprefix("https://").rstrip("/")
        if aud_host not in LOGIN_HOSTS and not aud_host.endswith(".salesforce.com"):
            return _oauth_error("invalid_grant", "audience is invalid")
        username = str(claims.get("sub", ""))
        if client is not None and client.jwt_username and username != client.jwt_username:
            return _oauth_error("invalid_grant", "user hasn't approved this consumer")
        return self._token_response(self._user(username)[0])

    def _token_response(self, user_id: str) -> Response:
        issued_at = str(int(time.time() * 1000))
        identity = f"https://login.salesforce.com/id/{self.org.org_id}/{user_id}"
        digest = hmac.new(self._signing_key, (identity + issued_at).encode(), hashlib.sha256)
        payload = {
            "access_token": self.issue(user_id), "instance_url": self.instance_url,
            "id": identity, "token_type": "Bearer", "issued_at": issued_at,
            "signature": base64.b64encode(digest.digest()).decode(),
        }
        return 200, JSON_TYPE, json.dumps(payload).encode()


def _element(text: str, name: str) -> str | None:
    """The text of the first `<prefix:name>` element (simple_salesforce's login envelopes)."""
    m = re.search(rf"<(?:\w+:)?{name}\b[^>]*>(.*?)</(?:\w+:)?{name}>", text, re.S)
    return html.unescape(m.group(1)) if m else None
