"""How every hrcase Kafka client connects: TLS and SASL settings, as the options kafka-python and aiokafka share."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")


@dataclass(frozen=True)
class KafkaSecurity:
    """One installation's way into its brokers; the same for the workers, the relays, the admin and the publisher."""

    protocol: str = "PLAINTEXT"
    mechanism: str = "SCRAM-SHA-512"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    cafile: str | None = None  # None: the system's trusted CAs
    certfile: str | None = None  # a client certificate, for brokers that ask for one (ssl.client.auth=required)
    keyfile: str | None = None

    def check(self) -> KafkaSecurity:
        """Itself, or a ValueError naming the setting that is missing or wrong (a worker stops on it at start)."""
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"HRCASE_KAFKA_SECURITY_PROTOCOL {self.protocol!r} is not one of {', '.join(PROTOCOLS)}")
        if self.sasl and self.mechanism not in MECHANISMS:
            raise ValueError(f"HRCASE_KAFKA_SASL_MECHANISM {self.mechanism!r} is not one of {', '.join(MECHANISMS)}")
        if self.sasl and not (self.username and self.password):
            raise ValueError(f"Kafka security protocol {self.protocol} needs a SASL username and password "
                             "(HRCASE_KAFKA_SASL_USERNAME, HRCASE_KAFKA_SASL_PASSWORD or ..._PASSWORD_FILE)")
        if bool(self.certfile) != bool(self.keyfile):
            raise ValueError("a Kafka client certificate needs its key and a key its certificate "
                             "(HRCASE_KAFKA_SSL_CERTFILE with HRCASE_KAFKA_SSL_KEYFILE)")
        if (self.cafile or self.certfile) and not self.tls:
            raise ValueError(f"Kafka TLS files are set but the security protocol {self.protocol} has no TLS "
                             "(HRCASE_KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL)")
        return self

    @property
    def tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def sasl(self) -> bool:
        return self.protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        """A context that checks the broker's certificate and name against the CA; None without TLS."""
        if not self.tls:
            return None
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.cafile)
        if self.certfile:
            context.load_cert_chain(self.certfile, self.keyfile)
        return context

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for a kafka-python or aiokafka client (both take these names); none for PLAINTEXT."""
        self.check()
        options: dict[str, Any] = {}
        if self.protocol != "PLAINTEXT":
            options["security_protocol"] = self.protocol
        if self.tls:
            options["ssl_context"] = self.ssl_context()
        if self.sasl:
            options.update(sasl_mechanism=self.mechanism, sasl_plain_username=self.username,
                           sasl_plain_password=self.password)
        return options


PLAINTEXT = KafkaSecurity()  # the default of every client: no TLS, no SASL (a broker on loopback)
