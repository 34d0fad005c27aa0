// New Chat, Past Conversations (reopen or delete one), Delete Conversation.
import * as vscode from 'vscode';
import type { ChatSession } from './chat-session';
import type { ChatViewProvider } from './chat-view';
import { conversationItem } from '../ui-model/conversation-list';

export const CONVERSATION_COMMANDS = {
  newChat: 'swarmCompute.newChat',
  openConversation: 'swarmCompute.openConversation',
  deleteConversation: 'swarmCompute.deleteConversation',
} as const;

const DELETE_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('trash'), tooltip: 'Delete this conversation' };

async function confirmDelete(): Promise<boolean> {
  const yes = 'Delete';
  const answer = await vscode.window.showWarningMessage(
    'Delete this conversation? Its questions and answers go; what was paid stays recorded, so budgets still count it.',
    { modal: true },
    yes,
  );
  return answer === yes;
}

/** The picker of past conversations: resolves with the one chosen, or undefined. Each item can be deleted from it. */
async function pickConversation(session: ChatSession): Promise<string | undefined> {
  const pick = vscode.window.createQuickPick<vscode.QuickPickItem & { conversationId: string }>();
  pick.title = 'Past conversations';
  pick.placeholder = 'Reopen a conversation (the next question continues it)';
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  const load = async () => {
    pick.busy = true;
    const items = (await session.conversations()).map((c) => ({ ...conversationItem(c), buttons: [DELETE_BUTTON] }));
    pick.items = items;
    pick.busy = false;
    if (items.length === 0) pick.placeholder = 'No past conversations';
  };
  return new Promise<string | undefined>((resolve) => {
    let chosen: string | undefined;
    pick.onDidAccept(() => {
      chosen = pick.selectedItems[0]?.conversationId;
      pick.hide();
    });
    pick.onDidTriggerItemButton(async (e) => {
      pick.ignoreFocusOut = true;
      if (await confirmDelete()) await session.deleteConversation(e.item.conversationId);
      pick.ignoreFocusOut = false;
      pick.show();
      await load();
    });
    pick.onDidHide(() => {
      pick.dispose();
      resolve(chosen);
    });
    pick.show();
    void load();
  });
}

export function registerConversationCommands(session: ChatSession, chat: ChatViewProvider): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(CONVERSATION_COMMANDS.newChat, async () => {
      const started = session.newChat();
      if (started) {
        await chat.reveal();
        chat.focusInput();
      }
      return started;
    }),
    // with an id (other commands, tests): that conversation at once; else the picker
    vscode.commands.registerCommand(CONVERSATION_COMMANDS.openConversation, async (conversationId?: unknown) => {
      const id = typeof conversationId === 'string' ? conversationId : await pickConversation(session);
      if (!id) return false;
      const opened = await session.openConversation(id);
      if (opened) await chat.reveal();
      return opened;
    }),
    // with an id: that one, no question asked (the caller asked); else the open conversation, after a confirmation
    vscode.commands.registerCommand(CONVERSATION_COMMANDS.deleteConversation, async (conversationId?: unknown) => {
      const id = typeof conversationId === 'string' ? conversationId : session.openConversationId;
      if (!id) {
        void vscode.window.showInformationMessage('Swarm Compute: no conversation is open.');
        return false;
      }
      if (typeof conversationId !== 'string' && !(await confirmDelete())) return false;
      await session.deleteConversation(id);
      return true;
    }),
  ];
}
