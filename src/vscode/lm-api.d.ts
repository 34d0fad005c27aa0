// The few types of VS Code's Language Model Chat Provider API (final since
// 1.104) that this extension uses. @types/vscode stays at 1.100.0 (the oldest
// VS Code the extension accepts), which lacks them: they are declared here,
// not merged into the 'vscode' module, and the function itself is looked up
// at run time (lm-register.ts), so the extension still runs on 1.100.
import type * as vscode from 'vscode';

export interface LanguageModelChatCapabilities {
  readonly imageInput?: boolean;
  readonly toolCalling?: boolean | number;
}

export interface LanguageModelChatInformation {
  readonly id: string;
  /** shown in the model picker */
  readonly name: string;
  readonly family: string;
  readonly version: string;
  readonly tooltip?: string;
  readonly detail?: string;
  readonly maxInputTokens: number;
  readonly maxOutputTokens: number;
  readonly capabilities: LanguageModelChatCapabilities;
}

export interface PrepareLanguageModelChatModelOptions {
  /** true: do not ask the user anything while listing */
  readonly silent: boolean;
}

/** A message as the provider receives it: content parts are text parts, tool parts or data (image) parts. */
export interface LanguageModelChatRequestMessage {
  readonly role: vscode.LanguageModelChatMessageRole | number;
  readonly content: ReadonlyArray<unknown>;
  readonly name: string | undefined;
}

export interface ProvideLanguageModelChatResponseOptions {
  readonly modelOptions?: { readonly [name: string]: unknown };
  readonly tools?: readonly unknown[];
  readonly toolMode?: number;
  /** the id of the extension that sent the request ('core' for VS Code's own chat); newer VS Code only */
  readonly requestInitiator?: string;
}

export interface LanguageModelChatProvider<T extends LanguageModelChatInformation = LanguageModelChatInformation> {
  readonly onDidChangeLanguageModelChatInformation?: vscode.Event<void>;
  provideLanguageModelChatInformation(options: PrepareLanguageModelChatModelOptions, token: vscode.CancellationToken): vscode.ProviderResult<T[]>;
  provideLanguageModelChatResponse(
    model: T,
    messages: readonly LanguageModelChatRequestMessage[],
    options: ProvideLanguageModelChatResponseOptions,
    progress: vscode.Progress<vscode.LanguageModelTextPart>,
    token: vscode.CancellationToken,
  ): Thenable<void>;
  provideTokenCount(model: T, text: string | LanguageModelChatRequestMessage, token: vscode.CancellationToken): Thenable<number>;
}

/** `vscode.lm` on a VS Code that has the provider API. */
export interface LanguageModelProviderApi {
  registerLanguageModelChatProvider(vendor: string, provider: LanguageModelChatProvider): vscode.Disposable;
}
