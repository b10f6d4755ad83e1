import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import { matchesChat, stepChat } from './chat-navigation';

function chat(id: string, displayName: string | null, username = id): ConversationDto {
  return { id, peer: displayName === null ? null : { id: `u-${id}`, username, displayName } } as ConversationDto;
}

describe('chat navigation', () => {
  describe('matchesChat', () => {
    it('matches the peer name or username, ignoring case and surrounding spaces', () => {
      const sut = chat('c1', 'Zoë Ångström', 'zoe.a');
      expect(matchesChat(sut, '  ÅNG ')).toBe(true);
      expect(matchesChat(sut, 'zoe.')).toBe(true);
      expect(matchesChat(sut, 'bob')).toBe(false);
      expect(matchesChat(sut, '')).toBe(true);
    });

    it('matches an erased peer as "Deleted user"', () => {
      expect(matchesChat(chat('c1', null), 'deleted')).toBe(true);
    });
  });

  describe('stepChat', () => {
    const list = [chat('a', 'A'), chat('b', 'B'), chat('c', 'C')];

    it('moves one chat down or up from the open one', () => {
      expect(stepChat(list, 'b', 1)).toBe('c');
      expect(stepChat(list, 'b', -1)).toBe('a');
    });

    it('stays put at the ends', () => {
      expect(stepChat(list, 'c', 1)).toBeNull();
      expect(stepChat(list, 'a', -1)).toBeNull();
    });

    it('starts from the first (down) or the last (up) when none is open or the open one is filtered out', () => {
      expect(stepChat(list, null, 1)).toBe('a');
      expect(stepChat(list, 'gone', -1)).toBe('c');
      expect(stepChat([], null, 1)).toBeNull();
    });
  });
});
