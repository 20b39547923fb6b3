"""The one orchestrator: a message is accepted into the journal before the platform hears 200;
the processor takes each chat's work from the journal, runs its turns (turns) and sends its
replies (sending). Channels only translate; the engine only decides."""

from bot.runtime.processor import Processor
from bot.runtime.sending import Sending
from bot.runtime.turns import Runtime

__all__ = ["Processor", "Runtime", "Sending"]
