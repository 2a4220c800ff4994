"""Socket.IO packets as the copilot's server decodes them.

python-socketio decodes a packet, then dispatches it assuming its shape: ``42/copilot,[]``
(an event without a name), ``{}`` instead of a list, or JSON nested too deep raise
``IndexError``, ``KeyError`` or ``RecursionError`` deep in its dispatcher, and
python-engineio logs each as a traceback. :class:`SafePacket` (given to
``socketio.Server`` as its ``serializer``) refuses such packets while decoding, with a
:class:`MalformedPacket`; :func:`guard_packets` turns that into one log line (and an
``error`` event to the client's session) instead of a traceback.

The JSON the packets are decoded with is :class:`~flask_copilot.protocol.wire_json.BoundedJSON`
(``socketio.Server(json=...)``), which bounds size and depth.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from socketio import packet as sio_packet

#: Packets a client may send (never ``CONNECT_ERROR``, which only servers send).
_CLIENT_TYPES = (
    sio_packet.CONNECT,
    sio_packet.DISCONNECT,
    sio_packet.EVENT,
    sio_packet.ACK,
    sio_packet.BINARY_EVENT,
    sio_packet.BINARY_ACK,
)
#: What python-socketio's dispatcher raises itself for a packet it cannot take.
_DISPATCH_REFUSALS = frozenset(("Unexpected binary packet",))


class MalformedPacket(ValueError):
    """A client sent a packet that is not valid Socket.IO (or not one we take)."""

    def __init__(self, reason: str, namespace: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.namespace = namespace


class SafePacket(sio_packet.Packet):  # type: ignore[misc]
    """python-socketio's packet, refusing (with :class:`MalformedPacket`) every packet
    it cannot decode and every event that is not a list starting with its name."""

    def decode(self, encoded_packet: Any) -> int:
        try:
            attachments: int = super().decode(encoded_packet)
        except Exception as exc:  # noqa: BLE001 (anything decoding raises: the client's doing)
            raise MalformedPacket(
                f"it cannot be decoded ({type(exc).__name__}: {exc})",
                getattr(self, "namespace", None),
            ) from None
        self._check_shape()
        return attachments

    def add_attachment(self, attachment: Any) -> bool:
        try:
            done: bool = super().add_attachment(attachment)
        except Exception as exc:  # noqa: BLE001 (placeholders are the client's)
            raise MalformedPacket(
                f"a binary attachment does not fit ({type(exc).__name__}: {exc})", self.namespace
            ) from None
        return done

    def _check_shape(self) -> None:
        kind, data = self.packet_type, self.data
        if kind not in _CLIENT_TYPES:
            raise MalformedPacket(f"unknown packet type {kind!r}", self.namespace)
        if kind in (sio_packet.EVENT, sio_packet.BINARY_EVENT) and not (
            isinstance(data, list) and data and isinstance(data[0], str)
        ):
            raise MalformedPacket("an event must be a list starting with its name", self.namespace)
        if kind in (sio_packet.ACK, sio_packet.BINARY_ACK) and not isinstance(data, list):
            raise MalformedPacket("an acknowledgement must be a list", self.namespace)


MalformedHandler = Callable[[str, MalformedPacket], None]


def guard_packets(server: Any, on_malformed: MalformedHandler) -> None:
    """Wrap ``server``'s (a ``socketio.Server`` using :class:`SafePacket`) Engine.IO
    message handler: a malformed packet goes to ``on_malformed(eio_sid, error)``, and
    nowhere else; everything else (our handlers' own errors included) is untouched."""
    eio = server.eio
    dispatch = eio.handlers["message"]

    def guarded(eio_sid: str, data: Any) -> Any:
        try:
            return dispatch(eio_sid, data)
        except MalformedPacket as exc:
            refused = exc
        except ValueError as exc:
            if str(exc) not in _DISPATCH_REFUSALS:
                raise
            refused = MalformedPacket(str(exc))
        # A binary event whose attachment did not fit must not swallow what follows.
        getattr(server, "_binary_packet", {}).pop(eio_sid, None)
        on_malformed(eio_sid, refused)
        return None

    eio.on("message", guarded)
