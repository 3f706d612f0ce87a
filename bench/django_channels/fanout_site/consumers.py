"""The raw fan-out route's protocol over Channels: every text a socket sends goes to every socket."""

from channels.generic.websocket import AsyncWebsocketConsumer

GROUP = "all"


class FanOut(AsyncWebsocketConsumer):
    """A member of the one group: joins it on connect, sends into it, writes what it hears."""

    async def connect(self):
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is not None:
            await self.channel_layer.group_send(GROUP, {"type": "fan.out", "text": text_data})

    async def fan_out(self, event):
        await self.send(text_data=event["text"])
