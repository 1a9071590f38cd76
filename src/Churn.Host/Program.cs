using Churn.Host.Cli;

StartupClock.MainEntered();
StandardOutput.Reserve();
return await ChurnCommandLine.RunAsync(args);
