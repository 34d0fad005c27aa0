/** One turn of a conversation as chat APIs take it (Ollama /api/chat, the swarm's `messages` param). */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}
